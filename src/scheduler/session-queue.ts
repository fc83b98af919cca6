/**
 * The per-session durable scheduler state over the DO's SQLite (`ctx.storage.sql`): the FIFO, the runs
 * table, idempotency keys and the session's bounded history. It applies the pure decisions of
 * decide.ts and never schedules anything itself: callers get back wake-up times and arm one alarm.
 * Callers run each mutation inside one transaction, so a crash leaves the old or the new state.
 */
import { decideAbort, decideEnqueue, decideNextTurn, decideSteer, resolvePolicy, resolveQueueMode, runIdOf, type GlobalQueueSettings, type TurnDecision } from './decide.ts';
import { migrateSessionSchema, type Row, type SqlPort } from './session-schema.ts';
import { SessionHistory, type HistoryLimits, type HistoryPage, type HistoryRole } from './session-history.ts';
import { addToDropSummary, dropSummaryText, type DropSummary } from './text.ts';
import { MAX_ITEM_META, type DroppedItem, type EnqueueInput, type EnqueueResult, type ItemMeta, type QueueMode, type QueuePolicy, type QueueView, type RunState, type SessionOverrides, type TurnItem, type Usage } from './types.ts';

export type { SqlPort, SqlValue, SqlCursor } from './session-schema.ts';
export type { HistoryEntry, HistoryPage } from './session-history.ts';
export type { EnqueueInput, EnqueueResult } from './types.ts';

/** Limits of one session's storage; each has a defined overflow behaviour. */
export interface QueueLimits extends HistoryLimits {
  /** Default queue cap when no policy is passed (the config's `queue.cap`). */
  readonly queueCap: number;
  /** Remembered idempotency keys at most; the oldest are forgotten first. Also bounds finished runs kept. */
  readonly idempotencyCap: number;
  /** Idempotency keys older than this are forgotten. */
  readonly idempotencyTtlMs: number;
}

/** A queued item. */
export interface QueuedItem extends ItemMeta {
  key: string | null;
  text: string;
  runId: string;
}

/** A run row. */
export interface RunRecord {
  runId: string;
  seq: number;
  state: RunState;
  mergedInto: string | null;
  reason: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  usage: Usage;
}

/** Counters for the global index. */
export interface QueueStatus {
  queued: number;
  processed: number;
  lastSeq: number;
  historyRows: number;
  headAvailableAt: number | null;
}

/** Counters plus the active run and usage totals, for status output. */
export interface SessionStatus extends QueueStatus {
  activeRunId: string | null;
  usage: Usage & { runs: number };
}

/** What a finished turn produced. */
export interface TurnOutcome {
  state: 'done' | 'aborted' | 'failed';
  messages?: readonly { role: 'assistant' | 'tool'; text: string }[];
  usage?: Partial<Usage>;
  error?: string;
  /** User rows (by seq) the defender withheld from the model: their stored text is replaced by `note`. */
  withheld?: readonly { seq: number; note: string }[];
}

/** A started turn. */
export interface StartedTurn {
  runId: string;
  items: TurnItem[];
}

/** Durable scheduler state of one session. */
export class SessionQueue {
  readonly #sql: SqlPort;
  readonly #limits: QueueLimits;
  /** The session's bounded history. */
  readonly history: SessionHistory;

  constructor(sql: SqlPort, limits: QueueLimits) {
    this.#sql = sql;
    this.#limits = limits;
    this.history = new SessionHistory(sql, limits);
  }

  /** Creates or upgrades the tables (idempotent; run inside blockConcurrencyWhile and a transaction). */
  migrate(): void {
    migrateSessionSchema(this.#sql, (k) => this.#meta(k), (k, v) => this.#setMeta(k, v));
  }

  /** The session key this object serves, recorded on first enqueue. */
  sessionKey(): string | null {
    return this.#meta('session_key');
  }

  /** Records the session key; a different key for the same object is a routing bug and throws. */
  bindSessionKey(key: string): void {
    const existing = this.sessionKey();
    if (existing === null) this.#setMeta('session_key', key);
    else if (existing !== key) throw new Error(`session object bound to another key`);
  }

  /** Per-session overrides (sessions.patch). */
  overrides(): SessionOverrides {
    return JSON.parse(this.#meta('overrides') ?? '{}') as SessionOverrides;
  }

  /** Merges overrides; a `null` value clears that override. Returns the result. */
  patch(changes: { [K in keyof SessionOverrides]?: SessionOverrides[K] | null }): SessionOverrides {
    const next: Record<string, unknown> = { ...this.overrides() };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete next[k];
      else if (v !== undefined) next[k] = v;
    }
    this.#setMeta('overrides', JSON.stringify(next));
    return next as SessionOverrides;
  }

  /** The scheduling state the pure decisions read. */
  view(): QueueView {
    const items = this.#sql.exec<Row>(`SELECT seq, mode, thread, channel, enqueued_at, available_at FROM queue ORDER BY seq`).toArray().map(toMeta);
    const a = this.#sql.exec<Row>(`SELECT run_id, thread, channel FROM runs WHERE state = 'running' LIMIT 1`).toArray()[0];
    return { items, active: a ? { runId: String(a.run_id), thread: str(a.thread), channel: str(a.channel) } : null };
  }

  /** Resolves the item's mode and the session's policy from settings, then enqueues. */
  enqueueWith(input: EnqueueInput, global: GlobalQueueSettings, now: number): EnqueueResult & { abortActive?: boolean } {
    const ov = this.overrides();
    const mode = resolveQueueMode({ request: input.queueMode, session: ov, channel: input.channel, global });
    return this.enqueue(input, now, resolvePolicy(global, ov, mode));
  }

  /** Appends an item unless it is a duplicate or rejected by the cap; applies drops and interrupts. */
  enqueue(input: EnqueueInput, now: number, policy?: QueuePolicy): EnqueueResult & { abortActive?: boolean } {
    const p = policy ?? { mode: input.queueMode ?? 'followup', cap: this.#limits.queueCap, drop: 'new', debounceMs: 0 };
    const dup = input.key === undefined ? null : this.duplicate(input.key, now);
    if (dup) return dup;
    const view = this.view();
    const d = decideEnqueue(view, p);
    if (d.kind === 'reject') return { status: 'rejected', reason: 'queue_full', cap: p.cap, retryAfterMs: 1_000 };
    const dropped = this.#endQueued(d.drop, 'dropped', p.drop, now);
    if (p.drop === 'summarize' && dropped.length > 0) {
      const prev = this.#meta('drop_summary');
      const summary = addToDropSummary(prev ? (JSON.parse(prev) as DropSummary) : null, dropped.map((x) => x.text));
      this.#setMeta('drop_summary', JSON.stringify(summary));
    }
    const aborted = this.#endQueued(d.abortQueued, 'aborted', 'superseded by interrupt', now);
    const seq = this.#nextSeq();
    const availableAt = Math.max(now, input.availableAt ?? now);
    const runId = runIdOf(seq);
    this.#sql.exec(
      `INSERT INTO queue (seq, item_key, text, enqueued_at, available_at, mode, thread, channel, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      seq, input.key ?? null, input.text, now, availableAt, p.mode, input.thread ?? null, input.channel ?? null,
      input.meta !== undefined && input.meta.length <= MAX_ITEM_META ? input.meta : null,
    );
    this.#sql.exec(`INSERT INTO runs (run_id, seq, state, thread, channel, created_at) VALUES (?, ?, 'queued', ?, ?, ?)`, runId, seq, input.thread ?? null, input.channel ?? null, now);
    if (input.key !== undefined) this.#remember(input.key, seq, now);
    this.#pruneRuns();
    const after = this.view();
    const next = decideNextTurn(after, p.debounceMs, now);
    return {
      status: 'queued', seq, runId, mode: p.mode,
      position: after.items.length,
      wakeAt: next.kind === 'wait' ? next.until : now,
      ...(dropped.length ? { dropped: dropped.map(({ text: _t, ...x }) => x) } : {}),
      ...(aborted.length ? { aborted: aborted.map(({ text: _t, ...x }) => x) } : {}),
      ...(d.abortActive ? { abortActive: true } : {}),
    };
  }

  /** The existing run of a remembered producer key (within the TTL), or null. */
  duplicate(key: string, now: number): Extract<EnqueueResult, { status: 'duplicate' }> | null {
    const seen = this.#sql.exec<Row>(`SELECT seq FROM idempotency WHERE item_key = ? AND at > ?`, key, now - this.#limits.idempotencyTtlMs).toArray()[0];
    if (!seen) return null;
    const seq = Number(seen.seq);
    return { status: 'duplicate', seq, runId: runIdOf(seq), state: this.run(runIdOf(seq))?.state ?? 'unknown' };
  }

  /** Items queued now (what this session counts against the global queue cap). */
  queuedCount(): number {
    return Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM queue`).one().n);
  }

  /** What the drain loop should do now. */
  nextTurn(now: number, debounceMs: number): TurnDecision {
    return decideNextTurn(this.view(), debounceMs, now);
  }

  /** Starts a turn over `seqs`: the first item's run goes `running`, the others merge into it; user turns go to history. */
  startTurn(seqs: readonly number[], now: number): StartedTurn {
    const leader = runIdOf(seqs[0]!);
    const items: TurnItem[] = [];
    const summary = this.#meta('drop_summary');
    const entries: { role: HistoryRole; text: string; seq?: number; runId?: string; key?: string | null; enqueuedAt?: number }[] = [];
    if (summary) {
      const text = dropSummaryText(JSON.parse(summary) as DropSummary);
      items.push({ seq: null, runId: null, text, key: null, thread: null, channel: null, synthetic: true });
      entries.push({ role: 'system', text, runId: leader });
      this.#deleteMeta('drop_summary');
    }
    const taken = this.#take(seqs, leader, now);
    items.push(...taken.items);
    entries.push(...taken.entries);
    this.#sql.exec(`UPDATE runs SET state = 'running', started_at = ? WHERE run_id = ?`, now, leader);
    this.history.append(entries, now);
    return { runId: leader, items };
  }

  /** Moves the steering items for the active run into it (in order) and returns them. */
  steer(now: number): TurnItem[] {
    const view = this.view();
    const seqs = decideSteer(view, now);
    if (!view.active || seqs.length === 0) return [];
    const taken = this.#take(seqs, view.active.runId, now);
    this.history.append(taken.entries, now);
    return taken.items;
  }

  /** Ends the active run and every run merged into it; records replies (tool results truncated) and usage. */
  finishTurn(runId: string, outcome: TurnOutcome, now: number): void {
    const run = this.run(runId);
    if (!run || run.state !== 'running') return; // already ended (redelivery): change nothing
    this.#sql.exec(`DELETE FROM inflight WHERE run_id = ?`, runId);
    const u = { inputTokens: outcome.usage?.inputTokens ?? 0, outputTokens: outcome.usage?.outputTokens ?? 0, costUsd: outcome.usage?.costUsd ?? 0 };
    this.#sql.exec(
      `UPDATE runs SET state = ?, reason = ?, ended_at = ?, input_tokens = ?, output_tokens = ?, cost_usd = ? WHERE run_id = ?`,
      outcome.state, outcome.error ?? null, now, u.inputTokens, u.outputTokens, u.costUsd, runId,
    );
    this.#sql.exec(`UPDATE runs SET state = ?, ended_at = ? WHERE merged_into = ? AND state = 'queued'`, outcome.state, now, runId);
    const totals = this.usage();
    this.#setMeta('usage', JSON.stringify({ inputTokens: totals.inputTokens + u.inputTokens, outputTokens: totals.outputTokens + u.outputTokens, costUsd: totals.costUsd + u.costUsd, runs: totals.runs + 1 }));
    const entries: { role: HistoryRole; text: string; runId: string }[] = (outcome.messages ?? []).map((m) => ({ role: m.role, text: m.text, runId }));
    if (outcome.state !== 'done') entries.push({ role: 'system', text: `[run ${runId} ${outcome.state}${outcome.error ? `: ${outcome.error}` : ''}]`, runId });
    // A withheld prompt never reaches a later turn's context either: only the note stays in history.
    for (const w of outcome.withheld ?? []) this.history.redactUser(w.seq, w.note);
    this.history.append(entries, now);
    this.#pruneRuns();
  }

  /** Cancels queued turns (all, or the named run) and says whether the active run must be aborted too. */
  abort(now: number, runId?: string): { aborted: DroppedItem[]; abortActive: string | null } {
    const view = this.view();
    const d = decideAbort(view, runId);
    const aborted = this.#endQueued(d.abortQueued, 'aborted', 'aborted by request', now).map(({ text: _t, ...x }) => x);
    return { aborted, abortActive: d.abortActive ? view.active!.runId : null };
  }

  /**
   * Handles runs a dead process left `running`. A run not yet resumed `maxResumes` times is resumed: its
   * items go back to the front of the queue (same seqs, so order holds) and its user rows leave history
   * until it runs again. Otherwise it is marked `interrupted` and reported in history.
   */
  recoverInterrupted(now: number, maxResumes = 1): { interrupted: string[]; resumed: string[]; resumedItems: number } {
    const rows = this.#sql.exec<Row>(`SELECT run_id, resumes FROM runs WHERE state = 'running' ORDER BY seq`).toArray();
    const out = { interrupted: [] as string[], resumed: [] as string[], resumedItems: 0 };
    for (const r of rows) {
      const id = String(r.run_id);
      const items = this.#sql.exec<Row>(`SELECT seq, item FROM inflight WHERE run_id = ? ORDER BY seq`, id).toArray();
      if (Number(r.resumes) < maxResumes && items.length > 0) {
        for (const it of items) {
          const row = JSON.parse(String(it.item)) as Record<string, string | number | null>;
          const cols = Object.keys(row);
          this.#sql.exec(`INSERT OR IGNORE INTO queue (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, ...cols.map((c) => row[c]!));
          this.#sql.exec(`DELETE FROM history WHERE seq = ? AND role = 'user'`, Number(it.seq));
          this.#sql.exec(`UPDATE runs SET state = 'queued', merged_into = NULL, started_at = NULL WHERE run_id = ?`, runIdOf(Number(it.seq)));
        }
        this.#sql.exec(`UPDATE runs SET state = 'queued', started_at = NULL, resumes = resumes + 1 WHERE run_id = ?`, id);
        this.#sql.exec(`DELETE FROM inflight WHERE run_id = ?`, id);
        this.#setMeta('processed', String(Math.max(0, Number(this.#meta('processed') ?? 0) - items.length)));
        out.resumed.push(id);
        out.resumedItems += items.length;
        continue;
      }
      this.#sql.exec(`UPDATE runs SET state = 'interrupted', reason = 'process restarted', ended_at = ? WHERE run_id = ? OR (merged_into = ? AND state = 'queued')`, now, id, id);
      this.#sql.exec(`DELETE FROM inflight WHERE run_id = ?`, id);
      this.history.append([{ role: 'system', runId: id, text: `[run ${id} was interrupted by a restart before it finished; its messages were not answered]` }], now);
      out.interrupted.push(id);
    }
    return out;
  }

  /** A run by id (null once pruned). */
  run(runId: string): RunRecord | null {
    const r = this.#sql.exec<Row>(`SELECT * FROM runs WHERE run_id = ?`, runId).toArray()[0];
    return r ? toRun(r) : null;
  }

  /** The newest runs, newest first. */
  runs(limit: number): RunRecord[] {
    return this.#sql.exec<Row>(`SELECT * FROM runs ORDER BY seq DESC LIMIT ?`, limit).toArray().map(toRun);
  }

  /** The oldest queued item, or null. */
  head(): QueuedItem | null {
    return this.pending(1)[0] ?? null;
  }

  /** Queued items in order. */
  pending(limit: number): QueuedItem[] {
    return this.#sql.exec<Row>(`SELECT * FROM queue ORDER BY seq LIMIT ?`, limit).toArray().map(toItem);
  }

  /** The session's usage totals. */
  usage(): Usage & { runs: number } {
    return { inputTokens: 0, outputTokens: 0, costUsd: 0, runs: 0, ...(JSON.parse(this.#meta('usage') ?? '{}') as object) };
  }

  /** Pages history (see SessionHistory.page). */
  historyPage(limit: number, cursor: string | null = null): HistoryPage {
    return this.history.page(limit, cursor);
  }

  /** Archives the history and starts a fresh window; queue, runs and idempotency keys stay. */
  reset(now: number): { archived: number; epoch: number } {
    const epoch = Number(this.#meta('epoch') ?? 0) + 1;
    const archived = this.history.archiveAll(epoch, now);
    this.#setMeta('epoch', String(epoch));
    this.history.append([{ role: 'system', text: `[session reset: ${archived} earlier rows archived]` }], now);
    return { archived, epoch };
  }

  /** Counters. */
  status(): SessionStatus {
    const head = this.head();
    return {
      queued: this.queuedCount(),
      processed: Number(this.#meta('processed') ?? 0),
      lastSeq: Number(this.#meta('last_seq') ?? 0),
      historyRows: this.history.count(),
      headAvailableAt: head ? head.availableAt : null,
      activeRunId: this.view().active?.runId ?? null,
      usage: this.usage(),
    };
  }

  /** Removes queued items and ends their runs in `state` with `reason`. */
  #endQueued(seqs: readonly number[], state: RunState, reason: string, now: number): (DroppedItem & { text: string })[] {
    const out: (DroppedItem & { text: string })[] = [];
    for (const seq of seqs) {
      const row = this.#sql.exec<Row>(`SELECT item_key, text FROM queue WHERE seq = ?`, seq).toArray()[0];
      if (!row) continue;
      this.#sql.exec(`DELETE FROM queue WHERE seq = ?`, seq);
      this.#sql.exec(`UPDATE runs SET state = ?, reason = ?, ended_at = ? WHERE seq = ?`, state, reason, now, seq);
      out.push({ seq, runId: runIdOf(seq), key: str(row.item_key), text: String(row.text) });
    }
    return out;
  }

  /** Takes queued items into run `into` (merging all but the leader); returns turn items and history rows. */
  #take(seqs: readonly number[], into: string, now: number) {
    const items: TurnItem[] = [];
    const entries: { role: HistoryRole; text: string; seq: number; runId: string; key: string | null; enqueuedAt: number }[] = [];
    for (const seq of seqs) {
      const row = this.#sql.exec<Row>(`SELECT * FROM queue WHERE seq = ?`, seq).toArray()[0];
      if (!row) throw new Error(`item ${seq} is not queued`);
      const it = toItem(row);
      // Kept until the turn ends, so a restart can put it back in the queue (resume) instead of losing it.
      this.#sql.exec(`INSERT OR REPLACE INTO inflight (seq, run_id, item) VALUES (?, ?, ?)`, seq, into, JSON.stringify(row));
      this.#sql.exec(`DELETE FROM queue WHERE seq = ?`, seq);
      if (it.runId !== into) this.#sql.exec(`UPDATE runs SET merged_into = ?, started_at = ? WHERE run_id = ?`, into, now, it.runId);
      items.push({ seq, runId: it.runId, text: it.text, key: it.key, thread: it.thread, channel: it.channel, meta: str(row.meta), synthetic: false });
      entries.push({ role: 'user', text: it.text, seq, runId: it.runId, key: it.key, enqueuedAt: it.enqueuedAt });
    }
    this.#setMeta('processed', String(Number(this.#meta('processed') ?? 0) + seqs.length));
    return { items, entries };
  }

  #remember(key: string, seq: number, now: number): void {
    this.#sql.exec(`INSERT INTO idempotency (item_key, seq, at) VALUES (?, ?, ?) ON CONFLICT(item_key) DO UPDATE SET seq = excluded.seq, at = excluded.at`, key, seq, now);
    this.#sql.exec(`DELETE FROM idempotency WHERE at <= ?`, now - this.#limits.idempotencyTtlMs);
    this.#sql.exec(`DELETE FROM idempotency WHERE seq <= (SELECT seq FROM idempotency ORDER BY seq DESC LIMIT 1 OFFSET ?)`, this.#limits.idempotencyCap);
  }

  /** Keeps at most idempotencyCap finished runs (queued and running ones always stay). */
  #pruneRuns(): void {
    this.#sql.exec(
      `DELETE FROM runs WHERE state NOT IN ('queued', 'running') AND seq <= (
         SELECT seq FROM runs WHERE state NOT IN ('queued', 'running') ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      this.#limits.idempotencyCap,
    );
  }

  #nextSeq(): number {
    const seq = Number(this.#meta('last_seq') ?? 0) + 1;
    this.#setMeta('last_seq', String(seq));
    return seq;
  }

  #meta(key: string): string | null {
    const row = this.#sql.exec<Row>(`SELECT value FROM session_meta WHERE key = ?`, key).toArray()[0];
    return row ? String(row.value) : null;
  }

  #setMeta(key: string, value: string): void {
    this.#sql.exec(`INSERT INTO session_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value);
  }

  #deleteMeta(key: string): void {
    this.#sql.exec(`DELETE FROM session_meta WHERE key = ?`, key);
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toMeta(r: Row): ItemMeta {
  return { seq: Number(r.seq), mode: String(r.mode) as QueueMode, thread: str(r.thread), channel: str(r.channel), enqueuedAt: Number(r.enqueued_at), availableAt: Number(r.available_at) };
}

function toItem(r: Row): QueuedItem {
  return { ...toMeta(r), key: str(r.item_key), text: String(r.text), runId: runIdOf(Number(r.seq)) };
}

function toRun(r: Row): RunRecord {
  return {
    runId: String(r.run_id), seq: Number(r.seq), state: String(r.state) as RunState, mergedInto: str(r.merged_into), reason: str(r.reason),
    createdAt: Number(r.created_at), startedAt: r.started_at === null ? null : Number(r.started_at), endedAt: r.ended_at === null ? null : Number(r.ended_at),
    usage: { inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens), costUsd: Number(r.cost_usd) },
  };
}
