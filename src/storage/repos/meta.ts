// Small durable values in the registry's `meta` table (D1 on Workers, SQLite on Node): one row per key.

/** The D1 surface used. */
type MetaDb = Pick<D1Database, 'prepare'>;

/**
 * The JSON value stored under `key`, or null when there is none or it does not parse.
 * @example await readMeta<{ seq: number }>(env.DB, 'discord.gateway.default')
 */
export async function readMeta<T>(db: MetaDb, key: string): Promise<T | null> {
  const row = await db.prepare('SELECT value FROM meta WHERE key = ?').bind(key).first<{ value: string }>();
  if (!row) return null;
  try {
    return JSON.parse(row.value) as T;
  } catch {
    return null;
  }
}

/**
 * Stores `value` as JSON under `key` (null deletes the row).
 * @example await writeMeta(env.DB, 'discord.gateway.default', { seq: 42 })
 */
export async function writeMeta(db: MetaDb, key: string, value: unknown): Promise<void> {
  if (value === null) {
    await db.prepare('DELETE FROM meta WHERE key = ?').bind(key).run();
    return;
  }
  await db
    .prepare('INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
    .bind(key, JSON.stringify(value), Date.now())
    .run();
}

/**
 * A writer for a value that changes often (a stream position): at most one write in flight, and of the
 * values that arrive meanwhile only the newest is written next (memory stays one value). `flush()` waits
 * until the newest value is stored. Write errors are passed to `onError` and the next value is tried.
 * @example const save = latestWins((v) => writeMeta(db, key, v)); save.push({ seq: 1 }); await save.flush()
 */
export function latestWins<T>(write: (value: T) => Promise<void>, onError: (err: unknown) => void = () => undefined) {
  let next: { value: T } | null = null;
  let running: Promise<void> | null = null;
  const drain = async () => {
    while (next) {
      const { value } = next;
      next = null;
      try {
        await write(value);
      } catch (err) {
        onError(err);
      }
    }
    running = null;
  };
  return {
    push(value: T): void {
      next = { value };
      running ??= drain();
    },
    flush(): Promise<void> {
      return running ?? Promise.resolve();
    },
  };
}

/**
 * A stream position kept under `key` across restarts: `load` reads what the last process saved (null when
 * nothing, or unreadable: the caller checks its fields), `save` stores the newest value without waiting
 * (latest wins, null deletes), `flush` waits until it is stored.
 * @example const pos = savedPosition(env.DB, 'signal.events.default', log.warn); const last = await pos.load()
 */
export function savedPosition(db: MetaDb, key: string, onError: (err: unknown) => void) {
  const writer = latestWins<object | null>((v) => writeMeta(db, key, v), onError);
  return {
    load: () => readMeta<Record<string, unknown>>(db, key).catch(() => null),
    save: (value: object | null) => writer.push(value),
    flush: () => writer.flush(),
  };
}
