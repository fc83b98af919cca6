/**
 * Per-agent memory notes (the `memory` tool), in the GatewayDO's SQLite on both runtimes: at most
 * MEMORY_MAX_KEYS keys per agent (a new key past the cap is refused with a clear error, an existing one
 * may be replaced) and MEMORY_MAX_VALUE_CHARS per value.
 */
import { MEMORY_MAX_KEYS, MEMORY_MAX_VALUE_CHARS, type MemoryPort } from '../tools/agent-tools.ts';
import type { SqlPort } from '../scheduler/session-queue.ts';

type Row = Record<string, SqlStorageValue>;

/** The notes of every agent, over one object's SQL. */
export class MemoryStore {
  readonly #sql: SqlPort;
  constructor(sql: SqlPort) {
    this.#sql = sql;
  }

  /** Creates the table (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS agent_memory (agent_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY (agent_id, key))`);
  }

  get(agentId: string, key: string): string | null {
    const rows = this.#sql.exec<Row>('SELECT value FROM agent_memory WHERE agent_id = ? AND key = ?', agentId, key).toArray();
    return rows.length ? String(rows[0]!.value) : null;
  }

  set(agentId: string, key: string, value: string, now = Date.now()): Awaited<ReturnType<MemoryPort['set']>> {
    if (value.length > MEMORY_MAX_VALUE_CHARS) return { ok: false, error: `a note holds at most ${MEMORY_MAX_VALUE_CHARS} characters` };
    const exists = this.#sql.exec<Row>('SELECT 1 AS x FROM agent_memory WHERE agent_id = ? AND key = ?', agentId, key).toArray().length > 0;
    if (!exists && Number(this.#sql.exec<Row>('SELECT COUNT(*) AS n FROM agent_memory WHERE agent_id = ?', agentId).one().n) >= MEMORY_MAX_KEYS) {
      return { ok: false, error: `memory is full (${MEMORY_MAX_KEYS} notes); delete one first` };
    }
    this.#sql.exec(
      'INSERT INTO agent_memory (agent_id, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (agent_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      agentId, key, value, now,
    );
    return { ok: true };
  }

  delete(agentId: string, key: string): boolean {
    const had = this.get(agentId, key) !== null;
    this.#sql.exec('DELETE FROM agent_memory WHERE agent_id = ? AND key = ?', agentId, key);
    return had;
  }

  list(agentId: string): Array<{ key: string; chars: number; updatedAt: number }> {
    return this.#sql
      .exec<Row>('SELECT key, length(value) AS chars, updated_at FROM agent_memory WHERE agent_id = ? ORDER BY key LIMIT ?', agentId, MEMORY_MAX_KEYS)
      .toArray()
      .map((r) => ({ key: String(r.key), chars: Number(r.chars), updatedAt: Number(r.updated_at) }));
  }
}
