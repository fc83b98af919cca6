/**
 * The registry's `secrets` table as the secret store of a host without a config file (Workers: D1), used by
 * `config.patch/set` so a secret written through the gateway lands there and the stored overlay keeps only
 * `secret:NAME` references. The Node host uses the same table in its own registry file (synchronously,
 * node-adapter/secret-store.ts). Values are never returned to clients or logged.
 */
import type { DbBinding } from '../env.ts';
import { GatewayError } from '../errors.ts';

/** Secrets stored at most, besides runtime-set provider keys (`provider-api-key:*`, capped on their own). */
export const SECRETS_MAX = 256;

/** Row names of runtime-set provider keys (src/providers/stored-keys.ts). */
export const PROVIDER_KEY_PREFIX = 'provider-api-key:';

/**
 * Stores or replaces each `[name, value]`; INVALID_REQUEST once SECRETS_MAX other secrets exist.
 * @example await putRegistrySecrets(env.DB, [['hooks.token', token]], 'config.patch')
 */
export async function putRegistrySecrets(db: DbBinding, entries: readonly (readonly [string, string])[], by: string, now = Date.now()): Promise<void> {
  for (const [name, value] of entries) {
    const r = await db
      .prepare(
        `INSERT INTO secrets (name, value, updated_at, updated_by) SELECT ?1, ?2, ?3, ?4
         WHERE EXISTS (SELECT 1 FROM secrets WHERE name = ?1) OR (SELECT COUNT(*) FROM secrets WHERE name NOT LIKE '${PROVIDER_KEY_PREFIX}%') < ?5
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .bind(name, value, now, by.slice(0, 128), SECRETS_MAX)
      .run();
    if ((r.meta.changes ?? 0) === 0) throw new GatewayError('INVALID_REQUEST', `secret store full: at most ${SECRETS_MAX} secrets; ${name} was not stored`, { details: { code: 'SECRETS_FULL', max: SECRETS_MAX } });
  }
}

/**
 * The stored values of `names` (missing names are absent from the map).
 * @example (await getRegistrySecrets(env.DB, ['hooks.token'])).get('hooks.token')
 */
export async function getRegistrySecrets(db: DbBinding, names: readonly string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await db.prepare(`SELECT name, value FROM secrets WHERE name IN (SELECT value FROM json_each(?1))`).bind(JSON.stringify([...new Set(names)])).all<{ name: string; value: string }>();
  return new Map(rows.results.map((r) => [r.name, r.value]));
}
