/**
 * The Node host's secret store: the registry's `secrets` table (`<data dir>/registry.sqlite`, the same table
 * D1 holds on Workers), kept 0600 in the 0700 data dir. Config files hold `secret:NAME` references to its
 * rows (src/config/secret-refs.ts); provider keys set with `/set api key` are rows named
 * `provider-api-key:<provider>`. SQLite gives one durable writer at a time, so the CLI and a running
 * server can both write without losing each other's rows. Values are never logged or listed.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SECRET_NAME } from '../src/config/secret-refs.ts';
import { PROVIDER_KEY_PREFIX, SECRETS_MAX } from '../src/config/registry-secrets.ts';
import { migrateRegistry } from './migrate.ts';
import { STORED_KEYS_MAX } from '../src/providers/stored-keys.ts';
import { openDatabase } from './sqlite.ts';

export { SECRETS_MAX } from '../src/config/registry-secrets.ts';
/** Longest secret value (characters); PEM keys fit. */
export const SECRET_VALUE_MAX = 16_384;

/**
 * The registry file that holds the store.
 * @example secretStorePath('/var/lib/edgeclaw') === '/var/lib/edgeclaw/registry.sqlite'
 */
export function secretStorePath(dataDir: string): string {
  return join(resolve(dataDir), 'registry.sqlite');
}

/** One stored secret as listed: never its value. */
export interface SecretInfo {
  name: string;
  updatedAt: number;
  updatedBy: string;
  chars: number;
}

/**
 * Why a name or value cannot be stored, or null.
 * @example secretProblem('hooks.token', '') === 'the value is empty'
 */
export function secretProblem(name: string, value?: string): string | null {
  if (!SECRET_NAME.test(name)) return `invalid secret name "${name.slice(0, 80)}": 1-200 of A-Z a-z 0-9 . _ : @ / - (starting with a letter or digit)`;
  if (value === undefined) return null;
  if (value === '') return 'the value is empty';
  if (value.length > SECRET_VALUE_MAX) return `the value exceeds ${SECRET_VALUE_MAX} characters`;
  return null;
}

/**
 * Owner-only modes on the registry and its WAL files (SQLite creates them with the process umask); the
 * server calls it after opening the registry, the store after every write.
 * @example restrictRegistryFile(join(dataDir, 'registry.sqlite'))
 */
export function restrictRegistryFile(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/**
 * Read access without creating anything: a lookup over every stored secret (empty when the registry does
 * not exist yet or is not migrated). Used while loading the config, before the server opens the registry.
 * @example const lookup = readSecrets('/var/lib/edgeclaw'); lookup('hooks.token')
 */
export function readSecrets(dataDir: string): (name: string) => string | undefined {
  const file = secretStorePath(dataDir);
  if (!existsSync(file)) return () => undefined;
  const db = new DatabaseSync(file, { readOnly: true, timeout: 5_000 });
  try {
    const rows = db.prepare(`SELECT name, value FROM secrets LIMIT ${SECRETS_MAX + STORED_KEYS_MAX}`).all() as { name: string; value: string }[];
    const map = new Map(rows.map((r) => [r.name, r.value]));
    return (name) => map.get(name);
  } catch (err) {
    if (/no such table/i.test(String(err))) return () => undefined;
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Read-write access to the store of a data dir (created 0700 and migrated when needed).
 * @example const store = NodeSecretStore.open('./data'); store.set('hooks.token', value, 'cli'); store.close();
 */
export class NodeSecretStore {
  readonly #db: DatabaseSync;
  readonly #file: string;

  private constructor(db: DatabaseSync, file: string) {
    this.#db = db;
    this.#file = file;
  }

  /** Opens (creating and migrating) the registry of `dataDir`. */
  static open(dataDir: string): NodeSecretStore {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = secretStorePath(dir);
    const db = openDatabase(file);
    try {
      migrateRegistry(db);
    } catch (err) {
      db.close();
      throw err;
    }
    restrictRegistryFile(file);
    return new NodeSecretStore(db, file);
  }

  /** Names and metadata, sorted by name (values are never listed). */
  list(): SecretInfo[] {
    const rows = this.#db.prepare(`SELECT name, updated_at, updated_by, length(value) AS chars FROM secrets ORDER BY name`).all() as { name: string; updated_at: number; updated_by: string; chars: number }[];
    return rows.map((r) => ({ name: r.name, updatedAt: Number(r.updated_at), updatedBy: r.updated_by, chars: Number(r.chars) }));
  }

  /** The value of `name`, or undefined. */
  get(name: string): string | undefined {
    const r = this.#db.prepare(`SELECT value FROM secrets WHERE name = ?`).get(name) as { value: string } | undefined;
    return r?.value;
  }

  /**
   * Stores or replaces `name`. Throws on a bad name or value, and when SECRETS_MAX other secrets exist
   * (replacing an existing one always works).
   */
  set(name: string, value: string, by: string, now = Date.now()): void {
    const problem = secretProblem(name, value);
    if (problem) throw new Error(problem);
    const r = this.#db
      .prepare(
        `INSERT INTO secrets (name, value, updated_at, updated_by) SELECT ?1, ?2, ?3, ?4
         WHERE EXISTS (SELECT 1 FROM secrets WHERE name = ?1) OR (SELECT COUNT(*) FROM secrets WHERE name NOT LIKE '${PROVIDER_KEY_PREFIX}%') < ?5
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(name, value, now, by.slice(0, 128), SECRETS_MAX);
    if (Number(r.changes) === 0) throw new Error(`the secret store is full (${SECRETS_MAX} secrets): delete one with \`edgeclaw secrets delete NAME\``);
    restrictRegistryFile(this.#file);
  }

  /** Deletes `name`; false when it was not stored. */
  delete(name: string): boolean {
    return Number(this.#db.prepare(`DELETE FROM secrets WHERE name = ?`).run(name).changes) > 0;
  }

  close(): void {
    this.#db.close();
  }
}
