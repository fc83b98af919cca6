/**
 * Persisted Durable Object alarms for the Node host. Each object keeps its authoritative alarm in its
 * own SQLite (atomic with its data); this index holds wake-up hints (`binding`, `id`, `time`) so the
 * host knows which objects to wake after a restart without opening every file. A hint is written
 * before the object's record, so a crash can only leave a spurious hint (a no-op wake), never a lost alarm.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../src/log.ts';
import { StatementCache } from './sqlite.ts';

/** Longest single timer Node accepts; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Wakes objects whose alarm hint is due, at most `maxConcurrent` at a time. */
export class AlarmScheduler {
  readonly #db: DatabaseSync;
  readonly #wake: (binding: string, id: string) => Promise<void>;
  readonly #maxConcurrent: number;
  readonly #log: Logger;
  /** Objects whose alarm handler runs now (at most `maxConcurrent`). */
  readonly #running = new Set<string>();
  /** Compiled statements (one per distinct text: the `#arm` query varies with the number running). */
  readonly #stmts: StatementCache;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = Infinity;
  #started = false;

  constructor(db: DatabaseSync, wake: (binding: string, id: string) => Promise<void>, opts: { maxConcurrent: number; log: Logger }) {
    this.#db = db;
    this.#wake = wake;
    this.#maxConcurrent = opts.maxConcurrent;
    this.#log = opts.log;
    db.exec(`CREATE TABLE IF NOT EXISTS alarm_hints (
      binding TEXT NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (binding, id))`);
    db.exec(`CREATE INDEX IF NOT EXISTS alarm_hints_time ON alarm_hints (time)`);
    this.#stmts = new StatementCache(db, 16);
  }

  /** Alarm handlers running now and their cap (host diagnostics). */
  running(): { size: number; cap: number } {
    return { size: this.#running.size, cap: this.#maxConcurrent };
  }

  /** Records that `binding/id` wants waking at `time` (replacing any earlier hint for it). */
  hint(binding: string, id: string, time: number): void {
    this.#stmts.get(`INSERT INTO alarm_hints (binding, id, time) VALUES (?, ?, ?) ON CONFLICT (binding, id) DO UPDATE SET time = excluded.time`)
      .run(binding, id, time);
    if (this.#started && time < this.#timerAt) this.#arm();
  }

  /** Forgets the hint of `binding/id`. */
  clear(binding: string, id: string): void {
    this.#stmts.get(`DELETE FROM alarm_hints WHERE binding = ? AND id = ?`).run(binding, id);
  }

  /** Number of pending hints (for status). */
  pending(): number {
    return Number((this.#stmts.get(`SELECT COUNT(*) AS n FROM alarm_hints`).get() as { n: number }).n);
  }

  /** Starts firing hints (overdue ones right away: this is what makes alarms survive a restart). */
  start(): void {
    this.#started = true;
    this.#arm();
  }

  /** Stops firing; alarms already running finish, the rest wait in the index for the next start. */
  stop(): void {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  #arm(): void {
    if (!this.#started) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    // One statement text whatever the number running (the running keys go in as one JSON array).
    const row = (
      this.#running.size > 0
        ? this.#stmts.get(`SELECT MIN(time) AS t FROM alarm_hints WHERE binding || '/' || id NOT IN (SELECT value FROM json_each(?))`).get(JSON.stringify([...this.#running]))
        : this.#stmts.get(`SELECT MIN(time) AS t FROM alarm_hints`).get()
    ) as { t: number | null };
    if (row.t === null) return;
    const delay = Math.min(Math.max(0, row.t - Date.now()), MAX_TIMER_MS);
    this.#timerAt = row.t;
    this.#timer = setTimeout(() => this.#fire(), delay);
    this.#timer.unref?.();
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    if (!this.#started) return;
    const free = this.#maxConcurrent - this.#running.size;
    const due = this.#stmts.get(`SELECT binding, id FROM alarm_hints WHERE time <= ? ORDER BY time LIMIT ?`)
      .all(Date.now(), free + this.#running.size) as { binding: string; id: string }[];
    let launched = 0;
    for (const { binding, id } of due) {
      const key = `${binding}/${id}`;
      if (this.#running.has(key) || launched >= free) continue;
      launched++;
      this.#running.add(key);
      this.#wake(binding, id)
        .catch((err: unknown) => this.#log.error('alarm wake failed', { binding, id, err }))
        .finally(() => {
          this.#running.delete(key);
          this.#arm();
        });
    }
    this.#arm();
  }
}
