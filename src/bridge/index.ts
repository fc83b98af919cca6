// Public surface of bridge mode: edgeclaw as the Defender sidecar of an existing OpenClaw gateway.
export { createBridge, type Bridge, type BridgeAuditRecord, type BridgeOptions, type BridgeStatus } from './bridge.ts';
export { OperatorConnection, BridgeFatalError, type BridgeSocket, type ConnectionState, type SocketFactory, type SocketHandlers } from './connection.ts';
export { Backoff, backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
export { DecidedIds } from './decided-ids.ts';
export { decideApproval, resolutionFor, commandText, summarizeReasons, type ApprovalVerdict, type ReviewMode } from './decide.ts';
export { BRIDGE_SCOPES, BRIDGE_SCOPES_MINIMAL, BRIDGE_CAPS, connectParams, isRetryableConnectError, type ExecApprovalRequested } from './protocol.ts';
