/**
 * Config files and the secret store (node-adapter/secret-store.ts): `secret:NAME` references are resolved
 * before the schema validates a file, and inline secret values are moved into the store (leaving a
 * reference) whenever the host writes a config file. Env overrides (`EDGECLAW_*`) still win afterwards.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../src/config/schema.ts';
import { externalizeSecrets, hasSecretRefs, inlineSecrets, resolveSecretRefs } from '../src/config/secret-refs.ts';
import { NodeSecretStore, readSecrets, secretStorePath } from './secret-store.ts';

type Obj = Record<string, unknown>;

/**
 * The data dir whose store a config's secrets live in: EDGECLAW_DATA_DIR (or --data-dir), else the file's
 * `dataDir`, else ./data (as `edgeclaw start` picks it).
 * @example secretDirOf({ dataDir: '/var/lib/edgeclaw' }, {}) === '/var/lib/edgeclaw'
 */
export function secretDirOf(data: Obj, env: Readonly<Record<string, string | undefined>>): string {
  return resolve(env.EDGECLAW_DATA_DIR || (typeof data.dataDir === 'string' && data.dataDir ? data.dataDir : './data'));
}

/**
 * `data` with its `secret:` references replaced by stored values; a reference without a value is a
 * ConfigError naming the key and the command that fixes it.
 * @example resolveConfigSecrets(JSON5.parse(text), '/var/lib/edgeclaw', '/etc/edgeclaw.json5')
 */
export function resolveConfigSecrets(data: Obj, dataDir: string, source: string): Obj {
  if (!hasSecretRefs(data)) return data;
  const { config, missing } = resolveSecretRefs(data, readSecrets(dataDir));
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((m) => ({ key: m.path, source, value: `secret:${m.name}`, expected: `a stored secret: "${m.name}" is not in ${secretStorePath(dataDir)} (edgeclaw secrets set ${m.name})` })),
    );
  }
  return config;
}

/**
 * Moves every inline secret of `data` into the store of `dataDir`; returns the config to write (with
 * references) and the names stored. Nothing is opened when there is nothing to move.
 * @example const { config, moved } = storeConfigSecrets(merged, dataDir, 'edgeclaw setup')
 */
export function storeConfigSecrets(data: Obj, dataDir: string, by: string): { config: Obj; moved: string[] } {
  if (inlineSecrets(data).length === 0) return { config: data, moved: [] };
  const store = NodeSecretStore.open(dataDir);
  try {
    return externalizeSecrets(data, (name, value) => store.set(name, value, by));
  } finally {
    store.close();
  }
}
