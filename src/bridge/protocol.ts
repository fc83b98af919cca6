// The client side of OpenClaw protocol v4 that the bridge needs: lenient inbound frame schemas, hello-ok
// checks, the connect params it sends, and the exec approval event shapes (openclaw 2026.9.6).
import { z } from 'zod';
import { PROTOCOL_VERSION } from '../gateway/frames.ts';

/** Scopes the bridge asks for. `operator.admin` is needed to see approvals requested by other connections. */
export const BRIDGE_SCOPES = ['operator.read', 'operator.approvals', 'operator.admin'] as const;
/** Least-privilege scopes: only approvals not bound to another requester's connection or device are visible. */
export const BRIDGE_SCOPES_MINIMAL = ['operator.read', 'operator.approvals'] as const;
/** Client caps: `exec-approvals` delivers `exec.approval.*` events; `tool-events` delivers agent tool streams of runs we are registered for. */
export const BRIDGE_CAPS = ['exec-approvals', 'tool-events'] as const;

/** An error shape as clients read it (open: servers add fields over time). */
export const ClientErrorShapeSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  retryable: z.boolean().optional(),
  retryAfterMs: z.number().nonnegative().optional(),
});
/** The parsed error shape. */
export type ClientErrorShape = z.infer<typeof ClientErrorShapeSchema>;

/** Any frame the gateway may send us. */
export const InboundFrameSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('event'), event: z.string().min(1).max(256), payload: z.unknown().optional(), seq: z.number().int().nonnegative().optional() }),
  z.looseObject({ type: z.literal('res'), id: z.string().min(1).max(512), ok: z.boolean(), payload: z.unknown().optional(), error: ClientErrorShapeSchema.optional() }),
]);
/** A parsed inbound frame. */
export type InboundFrame = z.infer<typeof InboundFrameSchema>;

/** `connect.challenge` payload: the nonce is required (the reference client rejects a challenge without one). */
export const ChallengeSchema = z.looseObject({ nonce: z.string().min(1).max(512), ts: z.number().optional() });

/** The hello-ok fields the bridge relies on. */
export const HelloOkSchema = z.looseObject({
  type: z.literal('hello-ok'),
  protocol: z.literal(PROTOCOL_VERSION),
  server: z.looseObject({ version: z.string(), connId: z.string().optional() }),
  auth: z.looseObject({ role: z.string().optional(), scopes: z.array(z.string()).max(64) }),
  policy: z.looseObject({ tickIntervalMs: z.number().int().positive().max(3_600_000) }),
});
/** A validated hello-ok. */
export type HelloOk = z.infer<typeof HelloOkSchema>;

/** `exec.approval.requested` payload (`buildRequestedApprovalEvent` in src/gateway/server-methods/approval-shared.ts). */
export const ExecApprovalRequestedSchema = z.looseObject({
  id: z.string().min(1).max(512),
  approvalKind: z.string().optional(),
  request: z.looseObject({
    command: z.string().max(65_536),
    commandArgv: z.array(z.string()).max(4096).nullish(),
    cwd: z.string().nullish(),
    host: z.string().nullish(),
    agentId: z.string().nullish(),
    sessionKey: z.string().nullish(),
    allowedDecisions: z.array(z.string()).max(8).nullish(),
  }),
  createdAtMs: z.number().optional(),
  expiresAtMs: z.number().optional(),
});
/** A parsed approval request. */
export type ExecApprovalRequested = z.infer<typeof ExecApprovalRequestedSchema>;

/** `exec.approval.resolved` payload: who resolved which id how. */
export const ExecApprovalResolvedSchema = z.looseObject({ id: z.string().min(1).max(512), decision: z.string().nullish(), resolvedBy: z.string().nullish() });

/** Decisions `exec.approval.resolve` accepts (`isApprovalDecision`). */
export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';

/** Params of `exec.approval.resolve` (closed upstream: only id, decision, reviewer, grantExpiresInDays). */
export interface ExecApprovalResolveParams {
  id: string;
  decision: ApprovalDecision;
}

/** What identifies this client in `connect`. */
export interface ClientIdentity {
  version: string;
  platform: string;
  instanceId: string;
}

/** Builds the ConnectParams the bridge sends: operator, `gateway-client` in `backend` mode, token auth. */
export function connectParams(token: string, identity: ClientIdentity, scopes: readonly string[]): Record<string, unknown> {
  return {
    minProtocol: PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    client: { id: 'gateway-client', displayName: 'edgeclaw bridge', version: identity.version, platform: identity.platform, mode: 'backend', instanceId: identity.instanceId },
    caps: [...BRIDGE_CAPS],
    role: 'operator',
    scopes: [...scopes],
    auth: { token },
  };
}

/** True when a failed `connect` is worth retrying (busy, starting, rate limited); false for auth/protocol errors. */
export function isRetryableConnectError(error: ClientErrorShape | undefined): boolean {
  if (!error) return true;
  if (error.retryable === true || error.code === 'UNAVAILABLE') return true;
  return error.details?.code === 'AUTH_RATE_LIMITED';
}
