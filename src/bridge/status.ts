// What the bridge records per decision (audit) and reports as its status: connection state, counters per
// kind of action, and the last decisions of every kind.
import type { Action } from '../defender/index.ts';
import type { ConnectionState } from './connection.ts';
import type { ApprovalDecision } from './protocol.ts';

/** The kinds of action the bridge decides on. */
export const DECISION_KINDS = ['exec.approval', 'tool_call', 'prompt'] as const;
/** One of DECISION_KINDS. */
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** How a decision ended. Approvals: resolved / left-to-human / resolved-by-other; observed actions: observed / aborted / noted. */
export type DecisionOutcome = 'resolved' | 'left-to-human' | 'resolved-by-other' | 'observed' | 'aborted' | 'noted' | 'error';

/** What the bridge did about an observed action: chat.abort (+ note), a transcript note, or nothing. */
export type ObservedResponse = 'abort' | 'note' | 'none';

/** One audit record: what was seen, what the Defender said, what the bridge did and how that went. */
export interface BridgeAuditRecord {
  ts: string;
  kind: DecisionKind;
  /** The approval id, or the observed action's dedupe key (`tool:<runId>:<toolCallId>`, `msg:<sessionKey>:<messageId>`). */
  id: string;
  sessionKey: string | null;
  /** The command, the tool and its main argument, or the head of the message (≤ 1000 chars). */
  summary: string;
  action: Action;
  score: number;
  reasons: Array<{ rule: string; weight: number; detail?: string }>;
  outcome: DecisionOutcome;
  /** Exec approvals: the approval id and command, and what the bridge sent (`null` = left to a human) or a human sent first. */
  approvalId?: string;
  command?: string;
  agentId?: string | null;
  host?: string | null;
  resolution?: ApprovalDecision | null;
  resolvedBy?: string;
  /** Observed actions: the run, the tool call or message, and the response. */
  runId?: string | null;
  tool?: string;
  toolCallId?: string;
  messageId?: string | null;
  response?: ObservedResponse;
  error?: string;
}

/** Per-kind counters: actions seen and the Defender's verdicts. */
export interface KindCounters {
  seen: number;
  allow: number;
  review: number;
  block: number;
}

/** What `edgeclaw bridge status` shows. */
export interface BridgeStatus {
  url: string;
  state: ConnectionState;
  detail: string | null;
  since: string;
  server: string | null;
  /** Whether `sessions.subscribe` succeeded on the current connection (tool calls and messages are observed). */
  observing: boolean;
  counters: {
    connects: number;
    duplicates: number;
    badFrames: number;
    errors: number;
    /** Observed actions dropped because the per-session queues were full. */
    dropped: number;
    /** Approval answers. */
    allowed: number;
    denied: number;
    leftToHuman: number;
    /** Responses to blocked observed actions that the gateway accepted: chat.abort calls and chat.inject notes. */
    aborts: number;
    notes: number;
  };
  kinds: Record<DecisionKind, KindCounters>;
  lastDecisions: Array<{ ts: string; kind: DecisionKind; id: string; summary: string; action: Action; response: string; outcome: DecisionOutcome }>;
}

/** Last decisions kept in the status. */
export const LAST_DECISIONS = 20;

/**
 * A fresh status for `url`.
 * @example initialStatus('ws://127.0.0.1:18789').state // 'idle'
 */
export function initialStatus(url: string): BridgeStatus {
  const kind = (): KindCounters => ({ seen: 0, allow: 0, review: 0, block: 0 });
  return {
    url, state: 'idle', detail: null, since: new Date().toISOString(), server: null, observing: false,
    counters: { connects: 0, duplicates: 0, badFrames: 0, errors: 0, dropped: 0, allowed: 0, denied: 0, leftToHuman: 0, aborts: 0, notes: 0 },
    kinds: { 'exec.approval': kind(), tool_call: kind(), prompt: kind() },
    lastDecisions: [],
  };
}

/**
 * Adds a finished record to the counters and the last-decisions list.
 * @example countRecord(status, record); status.lastDecisions[0].id === record.id
 */
export function countRecord(st: BridgeStatus, r: BridgeAuditRecord): void {
  if (r.outcome === 'error') st.counters.errors++;
  if (r.resolution === 'deny') st.counters.denied++;
  else if (r.resolution === 'allow-once' || r.resolution === 'allow-always') st.counters.allowed++;
  if (r.outcome === 'left-to-human') st.counters.leftToHuman++;
  const response = r.kind === 'exec.approval' ? (r.resolution ?? 'human') : (r.response ?? 'none');
  st.lastDecisions = [{ ts: r.ts, kind: r.kind, id: r.id, summary: r.summary.slice(0, 200), action: r.action, response, outcome: r.outcome }, ...st.lastDecisions].slice(0, LAST_DECISIONS);
}

/**
 * Counts a Defender verdict for its kind (once per action, when it is decided).
 * @example countVerdict(status, 'tool_call', 'block'); status.kinds.tool_call.block === 1
 */
export function countVerdict(st: BridgeStatus, kind: DecisionKind, action: Action): void {
  st.kinds[kind].seen++;
  st.kinds[kind][action]++;
}
