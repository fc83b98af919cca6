// Public surface of bridge mode: edgeclaw as the Defender sidecar of an existing OpenClaw gateway.
export { createBridge, type Bridge, type BridgeOptions } from './bridge.ts';
export { BridgeConfigSchema, BRIDGE_DEFAULTS, ON_BLOCK, bridgeEnabled, type BridgeConfig, type EnabledBridgeConfig, type OnBlock } from './config.ts';
export { OperatorConnection, BridgeFatalError, type BridgeSocket, type ConnectionState, type SocketFactory, type SocketHandlers } from './connection.ts';
export { Backoff, backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
export { DecidedIds } from './decided-ids.ts';
export { SessionLanes, type LanePush, type LaneTask } from './session-lanes.ts';
export { decideApproval, resolutionFor, commandText, summarizeReasons, type ApprovalVerdict, type ReviewMode } from './decide.ts';
export { parseObserved, decideObserved, describeObserved, type ObservedAction, type ObservedVerdict } from './observed.ts';
export { DECISION_KINDS, initialStatus, type BridgeAuditRecord, type BridgeStatus, type DecisionKind, type DecisionOutcome } from './status.ts';
export { BRIDGE_SCOPES, BRIDGE_SCOPES_MINIMAL, BRIDGE_CAPS, connectParams, isRetryableConnectError, type ExecApprovalRequested } from './protocol.ts';
