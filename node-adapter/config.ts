/**
 * Loads the Node host's configuration: defaults < config file (JSON5, path from EDGECLAW_CONFIG or
 * --config; `secret:NAME` values from the data dir's secret store) < environment < command-line flags, all
 * validated by the one schema in src/config.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import JSON5 from 'json5';
import { ConfigError, resolveConfig, type Config } from '../src/config/schema.ts';
import { resolveConfigSecrets, secretDirOf } from './config-secrets.ts';

/** Flags of `edgeclaw start` and what env override each stands for. */
export const START_FLAGS = {
  config: 'EDGECLAW_CONFIG',
  host: 'HOST',
  port: 'PORT',
  'data-dir': 'EDGECLAW_DATA_DIR',
  'log-level': 'EDGECLAW_LOG_LEVEL',
} as const;
const FLAGS = START_FLAGS;

/** Config plus where it came from. */
export interface LoadedConfig {
  config: Config;
  /** The config file used, or null when running on defaults and env only. */
  file: string | null;
}

/** Parses argv flags into env-style overrides; unknown flags are ConfigErrors. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new ConfigError([{ key: 'argv', source: 'command line', value: argv.join(' '), expected: (err as Error).message }]);
  }
  const out: Record<string, string> = {};
  for (const [flag, envName] of Object.entries(FLAGS)) {
    const v = parsed.values[flag];
    if (typeof v === 'string') out[envName] = v;
  }
  return out;
}

/** Name of the config file looked for in the data dir when no file is named (`edgeclaw setup` writes it). */
export const DATA_DIR_CONFIG = 'edgeclaw.json5';

/**
 * The config file to read: EDGECLAW_CONFIG / --config, else `<data dir>/edgeclaw.json5` when it exists (the
 * data dir from EDGECLAW_DATA_DIR / --data-dir, default ./data), else null (defaults and env only).
 * @example configFileFor({ EDGECLAW_DATA_DIR: '/var/lib/edgeclaw' }) // '/var/lib/edgeclaw/edgeclaw.json5' if present
 */
export function configFileFor(vars: Readonly<Record<string, string | undefined>>): string | null {
  if (vars.EDGECLAW_CONFIG) return vars.EDGECLAW_CONFIG;
  const candidate = join(vars.EDGECLAW_DATA_DIR || './data', DATA_DIR_CONFIG);
  return existsSync(candidate) ? candidate : null;
}

/** Reads and validates configuration. Throws ConfigError naming every bad key. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): LoadedConfig {
  const flags = flagsToEnv(argv);
  const labels = Object.fromEntries(
    Object.entries(FLAGS)
      .filter(([, envName]) => envName in flags)
      .map(([flag, envName]) => [envName, `flag --${flag}`]),
  );
  return loadConfigWith({ ...env, ...flags }, labels);
}

/**
 * Reads the config file named by EDGECLAW_CONFIG in `merged` and validates it with `merged`'s env overrides;
 * `labels` names where an override came from (e.g. `{ EDGECLAW_BRIDGE_URL: 'flag --url' }`) for error messages.
 * @example loadConfigWith({ ...process.env, EDGECLAW_BRIDGE_URL: url }, { EDGECLAW_BRIDGE_URL: 'flag --url' }).config.bridge.url
 */
export function loadConfigWith(merged: Readonly<Record<string, string | undefined>>, labels: Readonly<Record<string, string>> = {}): LoadedConfig {
  const file = configFileFor(merged);
  let data: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([{ key: 'EDGECLAW_CONFIG', source: labels.EDGECLAW_CONFIG ?? 'env', value: file, expected: `a readable config file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` }]);
    }
    try {
      data = JSON5.parse(text);
    } catch (err) {
      throw new ConfigError([{ key: '(file)', source: file, value: undefined, expected: `valid JSON5: ${(err as Error).message}` }]);
    }
    // `secret:NAME` values come from the data dir's secret store; env overrides still win below.
    if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
      const obj = data as Record<string, unknown>;
      data = resolveConfigSecrets(obj, secretDirOf(obj, merged), file);
    }
  }
  return { config: resolveConfig(data, merged, file ?? 'defaults', labels), file };
}
