/**
 * The Node host's CONFIG_FILE binding: config.patch/config.set read and atomically rewrite the config file
 * the server started with (0600, temp file + rename), and resolve it with the same env vars and flags.
 * Secret values never land in the file: they go to the data dir's secret store and the file keeps
 * `secret:NAME` references. Without a config file there is nothing to persist to, and writes say how to get one.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ENV_OVERRIDES, resolveConfig } from '../src/config/schema.ts';
import { configInvalid } from '../src/config/store.ts';
import { resolveConfigSecrets, secretDirOf, storeConfigSecrets } from './config-secrets.ts';
import { GatewayError } from '../src/errors.ts';
import type { ConfigFilePort } from '../src/gateway/config-service.ts';
import { writeTextAtomic } from './cli/config-file.ts';

/** Largest config file read (bytes). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The port for `file` (null: started without one). `overrides` are the process env and start flags as
 * env names; only the ENV_OVERRIDES names are kept, as at start-up.
 * @example createConfigFilePort('/etc/edgeclaw.json5', { ...process.env })
 */
export function createConfigFilePort(file: string | null, overrides: Readonly<Record<string, string | undefined>>): ConfigFilePort {
  const env = Object.fromEntries(Object.keys(ENV_OVERRIDES).flatMap((k) => (overrides[k] ? [[k, overrides[k]]] : [])));
  return {
    path: file ?? '(none: started without --config / EDGECLAW_CONFIG)',
    async read() {
      if (!file) return null;
      try {
        const text = readFileSync(file, 'utf8');
        if (text.length > MAX_CONFIG_BYTES) throw new GatewayError('INVALID_REQUEST', `config file exceeds ${MAX_CONFIG_BYTES} bytes`);
        return text;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async write(text) {
      if (!file) throw new GatewayError('UNAVAILABLE', 'no config file to write: start edgeclaw with --config FILE (or EDGECLAW_CONFIG) so config changes persist');
      writeTextAtomic(file, text);
    },
    resolve: (stored) => resolveConfig(resolveConfigSecrets(stored, secretDirOf(stored, env), file ?? 'config'), env, file ?? 'config'),
    resolveSecrets(stored) {
      try {
        return resolveConfigSecrets(stored, secretDirOf(stored, env), file ?? 'config');
      } catch (err) {
        if (err instanceof ConfigError) throw configInvalid(err);
        throw err;
      }
    },
    async storeSecrets(stored) {
      if (!file) return stored;
      return storeConfigSecrets(stored, secretDirOf(stored, env), 'config.patch').config;
    },
  };
}
