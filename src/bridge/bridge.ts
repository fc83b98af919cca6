// The bridge: an operator connection to an OpenClaw gateway that runs the Defender on every action it sees.
// Exec approval requests are answered (approvals.ts); agent tool calls and inbound messages are observed,
// decided once in per-session order and answered with chat.abort / a transcript note on block (observer.ts).
import { DEFAULT_POLICY, type DefenderPolicy } from '../defender/index.ts';
import type { Logger } from '../log.ts';
import { createApprovalHandler } from './approvals.ts';
import type { BackoffOptions } from './backoff.ts';
import { BRIDGE_DEFAULTS, type OnBlock } from './config.ts';
import { OperatorConnection, type BridgeFatalError, type SocketFactory } from './connection.ts';
import type { BridgeContext } from './context.ts';
import { DecidedIds } from './decided-ids.ts';
import type { ReviewMode } from './decide.ts';
import { createObserver, OBSERVED_EVENTS } from './observer.ts';
import { BRIDGE_SCOPES, type ClientIdentity } from './protocol.ts';
import { countRecord, initialStatus, type BridgeAuditRecord, type BridgeStatus } from './status.ts';

/** Bridge options; hosts supply the socket port and the sinks. */
export interface BridgeOptions {
  url: string;
  token: string;
  socket: SocketFactory;
  identity: ClientIdentity;
  log: Logger;
  policy?: DefenderPolicy;
  review?: { mode: ReviewMode; timeoutMs: number };
  scopes?: readonly string[];
  backoff?: BackoffOptions;
  healthyResetMs?: number;
  /** Ids remembered for dedupe (approvals and observed actions together). */
  dedupeCapacity?: number;
  /** What a block of an observed action does (default `abort`). */
  onBlock?: OnBlock;
  /** Observed actions held at once across sessions (default 1024). */
  queueCap?: number;
  audit(record: BridgeAuditRecord): void;
  status?(status: BridgeStatus): void;
  onFatal?(err: BridgeFatalError): void;
}

/** A running bridge. */
export interface Bridge {
  start(): void;
  stop(): void;
  status(): BridgeStatus;
}

/**
 * Creates a bridge; nothing connects until `start()`.
 * @example createBridge({ url, token, socket, identity, log, audit: (r) => lines.push(r) }).start()
 */
export function createBridge(o: BridgeOptions): Bridge {
  const st = initialStatus(o.url);
  const publish = () => o.status?.(structuredClone(st));
  // Assigned right below; the handlers only call it once the connection is up.
  let conn: OperatorConnection | null = null;

  const ctx: BridgeContext = {
    request: (method, params) => (conn ? conn.request(method, params) : Promise.reject(new Error('not connected'))),
    policy: o.policy ?? DEFAULT_POLICY,
    log: o.log,
    status: st,
    decided: new DecidedIds(o.dedupeCapacity ?? BRIDGE_DEFAULTS.dedupeCap),
    record(r) {
      countRecord(st, r);
      o.log.info('bridge decision', {
        kind: r.kind, id: r.id.slice(0, 300), sessionKey: r.sessionKey, summary: r.summary.slice(0, 200), action: r.action, score: r.score,
        ...(r.kind === 'exec.approval' ? { resolution: r.resolution } : { response: r.response }), outcome: r.outcome, reasons: r.reasons,
        ...(r.error ? { error: r.error } : {}),
      });
      try {
        o.audit(r);
      } catch (err) {
        o.log.error('bridge audit write failed', { err: String(err) });
      }
      publish();
    },
    publish,
  };
  const approvals = createApprovalHandler(ctx, o.review ?? { mode: BRIDGE_DEFAULTS.review, timeoutMs: BRIDGE_DEFAULTS.reviewTimeoutMs });
  const observer = createObserver(ctx, { onBlock: o.onBlock ?? BRIDGE_DEFAULTS.onBlock, queueCap: o.queueCap ?? BRIDGE_DEFAULTS.queueCap });

  conn = new OperatorConnection({
    url: o.url, token: o.token, socket: o.socket, identity: o.identity, scopes: o.scopes ?? BRIDGE_SCOPES, log: o.log,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.healthyResetMs !== undefined ? { healthyResetMs: o.healthyResetMs } : {}),
    onState(state, detail) {
      st.state = state;
      st.detail = detail ?? null;
      st.since = new Date().toISOString();
      if (state !== 'connected') st.observing = false;
      o.log.info('bridge state', { state, detail });
      publish();
    },
    onHello(hello) {
      st.counters.connects++;
      st.server = hello.server.version;
      publish();
      void observer.onConnected(hello.auth.scopes);
      void approvals.catchUp();
    },
    onEvent(event, payload) {
      if (event === 'exec.approval.requested') approvals.onRequested(payload);
      else if (event === 'exec.approval.resolved') approvals.onResolved(payload);
      else if (OBSERVED_EVENTS.has(event)) observer.onEvent(event, payload);
    },
    onBadFrame(why) {
      st.counters.badFrames++;
      o.log.warn('bridge skipped a frame', { why: why.slice(0, 200) });
      publish();
    },
    onFatal(err) {
      o.log.error('bridge stopped', { err: err.message, code: err.code });
      o.onFatal?.(err);
    },
  });
  const connection = conn;

  return {
    start: () => connection.start(),
    stop() {
      approvals.stop();
      observer.stop();
      connection.stop();
    },
    status: () => structuredClone(st),
  };
}
