// The bridge: an operator connection that runs the Defender on every exec approval request it sees and
// answers it (allow → allow-once, block → deny, review → human or deny after a timeout), exactly once per id.
import { DEFAULT_POLICY, type Action, type DefenderPolicy } from '../defender/index.ts';
import type { Logger } from '../log.ts';
import type { BackoffOptions } from './backoff.ts';
import { OperatorConnection, type BridgeFatalError, type ConnectionState, type SocketFactory } from './connection.ts';
import { DecidedIds } from './decided-ids.ts';
import { decideApproval, summarizeReasons, type ReviewMode } from './decide.ts';
import {
  BRIDGE_SCOPES, ExecApprovalRequestedSchema, ExecApprovalResolvedSchema,
  type ApprovalDecision, type ClientIdentity, type ExecApprovalRequested,
} from './protocol.ts';

/** One audit record: what was asked, what the Defender said, what the bridge answered and how that went. */
export interface BridgeAuditRecord {
  ts: string;
  kind: 'exec.approval';
  approvalId: string;
  command: string;
  sessionKey: string | null;
  agentId: string | null;
  host: string | null;
  action: Action;
  score: number;
  reasons: Array<{ rule: string; weight: number; detail?: string }>;
  /** What the bridge sent (`null` = left to a human), or what a human sent first (`resolvedBy`). */
  resolution: ApprovalDecision | null;
  outcome: 'resolved' | 'left-to-human' | 'resolved-by-other' | 'error';
  resolvedBy?: string;
  error?: string;
}

/** What `edgeclaw bridge status` shows. */
export interface BridgeStatus {
  url: string;
  state: ConnectionState;
  detail: string | null;
  since: string;
  server: string | null;
  counters: { connects: number; requests: number; allowed: number; denied: number; review: number; duplicates: number; badFrames: number; errors: number };
  lastDecisions: Array<Pick<BridgeAuditRecord, 'ts' | 'approvalId' | 'command' | 'action' | 'resolution' | 'outcome'>>;
}

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
  dedupeCapacity?: number;
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

const MAX_REVIEWS = 1024;
const LAST_DECISIONS = 20;

/**
 * Creates a bridge; nothing connects until `start()`.
 * @example createBridge({ url, token, socket, identity, log, audit: (r) => lines.push(r) }).start()
 */
export function createBridge(o: BridgeOptions): Bridge {
  const policy = o.policy ?? DEFAULT_POLICY;
  const review = o.review ?? { mode: 'deny', timeoutMs: 60_000 };
  const decided = new DecidedIds(o.dedupeCapacity ?? 4096);
  const inFlight = new Set<string>();
  const reviews = new Map<string, { timer: ReturnType<typeof setTimeout> | null; event: ExecApprovalRequested; verdict: ReturnType<typeof decideApproval> }>();
  const st: BridgeStatus = {
    url: o.url, state: 'idle', detail: null, since: new Date().toISOString(), server: null,
    counters: { connects: 0, requests: 0, allowed: 0, denied: 0, review: 0, duplicates: 0, badFrames: 0, errors: 0 },
    lastDecisions: [],
  };
  const publish = () => o.status?.(structuredClone(st));

  const conn = new OperatorConnection({
    url: o.url, token: o.token, socket: o.socket, identity: o.identity, scopes: o.scopes ?? BRIDGE_SCOPES, log: o.log,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.healthyResetMs !== undefined ? { healthyResetMs: o.healthyResetMs } : {}),
    onState(state, detail) {
      st.state = state;
      st.detail = detail ?? null;
      st.since = new Date().toISOString();
      o.log.info('bridge state', { state, detail });
      publish();
    },
    onHello(hello) {
      st.counters.connects++;
      st.server = hello.server.version;
      publish();
      void catchUp();
    },
    onEvent(event, payload) {
      if (event === 'exec.approval.requested') onRequested(payload);
      else if (event === 'exec.approval.resolved') onResolved(payload);
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

  /** After (re)connecting, decides approvals that were requested while we were away. */
  async function catchUp(): Promise<void> {
    try {
      const list = await conn.request('exec.approval.list', {});
      if (Array.isArray(list)) for (const item of list.slice(0, 1000)) onRequested(item);
    } catch (err) {
      o.log.warn('bridge could not list pending approvals', { err: String(err) });
    }
  }

  function record(event: ExecApprovalRequested, verdict: ReturnType<typeof decideApproval>, resolution: ApprovalDecision | null, outcome: BridgeAuditRecord['outcome'], extra: Partial<BridgeAuditRecord> = {}): void {
    const r: BridgeAuditRecord = {
      ts: new Date().toISOString(), kind: 'exec.approval', approvalId: event.id, command: event.request.command.slice(0, 1000),
      sessionKey: event.request.sessionKey ?? null, agentId: event.request.agentId ?? null, host: event.request.host ?? null,
      action: verdict.action, score: verdict.score, reasons: summarizeReasons(verdict.reasons), resolution, outcome, ...extra,
    };
    decided.add(event.id);
    if (outcome === 'error') st.counters.errors++;
    else if (resolution === 'deny') st.counters.denied++;
    else if (resolution === 'allow-once') st.counters.allowed++;
    st.lastDecisions = [{ ts: r.ts, approvalId: r.approvalId, command: r.command.slice(0, 200), action: r.action, resolution, outcome }, ...st.lastDecisions].slice(0, LAST_DECISIONS);
    o.log.info('bridge decision', { approvalId: r.approvalId, command: r.command.slice(0, 200), action: r.action, score: r.score, resolution, outcome, reasons: r.reasons, ...(r.error ? { error: r.error } : {}) });
    try {
      o.audit(r);
    } catch (err) {
      o.log.error('bridge audit write failed', { err: String(err) });
    }
    publish();
  }

  function send(event: ExecApprovalRequested, verdict: ReturnType<typeof decideApproval>, decision: ApprovalDecision, extra: Partial<BridgeAuditRecord> = {}): void {
    inFlight.add(event.id);
    conn.request('exec.approval.resolve', { id: event.id, decision }).then(
      () => {
        inFlight.delete(event.id);
        record(event, verdict, decision, 'resolved', extra);
      },
      (err: Error) => {
        inFlight.delete(event.id);
        // Lost connection: not decided yet; the redelivered request (or the catch-up list) decides it again.
        if (/connection closed|not connected/.test(err.message)) return void o.log.warn('bridge resolve interrupted', { approvalId: event.id });
        record(event, verdict, decision, 'error', { ...extra, error: err.message.slice(0, 300) });
      },
    );
  }

  function onRequested(payload: unknown): void {
    const parsed = ExecApprovalRequestedSchema.safeParse(payload);
    if (!parsed.success) {
      st.counters.badFrames++;
      o.log.warn('bridge skipped an approval request it does not understand', { issue: parsed.error.issues[0]?.message });
      return publish();
    }
    const event = parsed.data;
    if (decided.has(event.id) || inFlight.has(event.id) || reviews.has(event.id)) {
      st.counters.duplicates++;
      return publish();
    }
    st.counters.requests++;
    const verdict = decideApproval(event, policy);
    if (verdict.resolve) return send(event, verdict, verdict.resolve);
    st.counters.review++;
    if (review.mode === 'wait' || reviews.size >= MAX_REVIEWS) {
      return record(event, verdict, null, 'left-to-human');
    }
    const left = event.expiresAtMs ? event.expiresAtMs - Date.now() - 250 : review.timeoutMs;
    const delay = Math.max(0, Math.min(review.timeoutMs, left));
    const timer = setTimeout(() => {
      reviews.delete(event.id);
      send(event, verdict, 'deny', { reasons: [...summarizeReasons(verdict.reasons), { rule: 'bridge:review_timeout', weight: 0 }] });
    }, delay);
    reviews.set(event.id, { timer, event, verdict });
    o.log.info('bridge review pending', { approvalId: event.id, denyInMs: delay });
  }

  function onResolved(payload: unknown): void {
    const parsed = ExecApprovalResolvedSchema.safeParse(payload);
    if (!parsed.success) return;
    const pending = reviews.get(parsed.data.id);
    if (!pending) return;
    if (pending.timer) clearTimeout(pending.timer);
    reviews.delete(parsed.data.id);
    const d = parsed.data.decision;
    const resolution = d === 'allow-once' || d === 'allow-always' || d === 'deny' ? d : null;
    record(pending.event, pending.verdict, resolution, 'resolved-by-other', parsed.data.resolvedBy ? { resolvedBy: parsed.data.resolvedBy } : {});
  }

  return {
    start: () => conn.start(),
    stop() {
      for (const r of reviews.values()) if (r.timer) clearTimeout(r.timer);
      reviews.clear();
      conn.stop();
    },
    status: () => structuredClone(st),
  };
}
