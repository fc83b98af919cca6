/**
 * Provider API keys set at run time (`/set api key <provider> <key>` in a channel DM), kept in the
 * registry's `secrets` table (D1 on Workers, the 0600 SQLite file in the 0700 data dir on Node). A stored
 * key wins over the config file and env for that provider. Keys are never logged, echoed or returned.
 */
import type { DbBinding } from '../env.ts';
import type { ProvidersConfig } from './config.ts';
import { normalizeProviderId } from './aliases.ts';

const PREFIX = 'provider-api-key:';
/** Most provider keys stored (one per provider). */
export const STORED_KEYS_MAX = 64;

/**
 * Why `key` cannot be an API key, or null when it can: one line of printable ASCII without spaces,
 * 8-512 characters, and not an `env:`/`${…}` reference (those would read the host's environment).
 * @example apiKeyProblem('sk-live-0123456789') === null
 */
export function apiKeyProblem(key: string): string | null {
  if (/[\r\n]/.test(key)) return 'the key must be a single line';
  if (/\s/.test(key)) return 'the key must not contain spaces';
  if (key.length < 8 || key.length > 512) return 'the key must be 8 to 512 characters long';
  if (!/^[\x21-\x7e]+$/.test(key)) return 'the key must be printable ASCII';
  if (/^env:/i.test(key) || key.includes('${')) return 'the key must be the key itself, not an env reference';
  return null;
}

/**
 * Stores (or replaces) the key of `provider` (normalised). Throws past STORED_KEYS_MAX providers.
 * @example await storeProviderKey(env.DB, 'openai', key, 'telegram:default:42')
 */
export async function storeProviderKey(db: DbBinding, provider: string, key: string, by: string, now = Date.now()): Promise<void> {
  const problem = apiKeyProblem(key);
  if (problem) throw new Error(problem);
  const name = `${PREFIX}${normalizeProviderId(provider)}`;
  const r = await db
    .prepare(
      `INSERT INTO secrets (name, value, updated_at, updated_by) SELECT ?1, ?2, ?3, ?4
       WHERE EXISTS (SELECT 1 FROM secrets WHERE name = ?1) OR (SELECT COUNT(*) FROM secrets WHERE name LIKE '${PREFIX}%') < ?5
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    )
    .bind(name, key, now, by.slice(0, 128), STORED_KEYS_MAX)
    .run();
  if ((r.meta.changes ?? 0) === 0) throw new Error(`at most ${STORED_KEYS_MAX} provider keys can be stored`);
}

/** Stored keys by provider id; empty when the table is missing (registry not migrated yet). */
export async function storedProviderKeys(db: DbBinding): Promise<Record<string, string>> {
  try {
    const rows = await db.prepare(`SELECT name, value FROM secrets WHERE name LIKE '${PREFIX}%' LIMIT ${STORED_KEYS_MAX}`).all<{ name: string; value: string }>();
    return Object.fromEntries(rows.results.map((r) => [r.name.slice(PREFIX.length), r.value]));
  } catch (err) {
    if (/no such table/i.test(String(err))) return {};
    throw err;
  }
}

/**
 * The models config with stored keys applied (they replace `apiKey` of that provider's entry, which is
 * created when the config has none).
 * @example withStoredKeys(modelsConfigOf(env), await storedProviderKeys(env.DB))
 */
export function withStoredKeys(cfg: ProvidersConfig, keys: Readonly<Record<string, string>>): ProvidersConfig {
  if (Object.keys(keys).length === 0) return cfg;
  const providers = { ...cfg.providers };
  for (const [id, key] of Object.entries(keys)) {
    const existing = Object.keys(providers).find((raw) => normalizeProviderId(raw) === id);
    const name = existing ?? id;
    providers[name] = { ...(providers[name] ?? { enabled: true }), apiKey: key };
  }
  return { ...cfg, providers };
}
