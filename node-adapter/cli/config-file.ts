/** Reading and atomically rewriting the JSON5 config file for `config set` and `token` (validated before any write). */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import JSON5 from 'json5';
import { ConfigError, resolveConfig } from '../../src/config/schema.ts';
import { UsageError } from './common.ts';
import { configFileFor } from '../config.ts';
import { resolveConfigSecrets, storeConfigSecrets } from '../config-secrets.ts';

/** Largest config file the CLI reads (bytes). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The config file named by `--config` or EDGECLAW_CONFIG, else the data dir's `edgeclaw.json5` when it
 * exists (as `edgeclaw start` reads it); a UsageError when there is none.
 */
export function requireConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const path = flag ?? configFileFor(env);
  if (!path) throw new UsageError('no config file: pass --config FILE or set EDGECLAW_CONFIG (or run edgeclaw setup, which writes <data dir>/edgeclaw.json5)');
  return path;
}

/** The parsed file (`{}` when it does not exist yet); a malformed file is a ConfigError. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([{ key: '(file)', source: path, value: undefined, expected: `a readable config file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` }]);
  }
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError([{ key: '(file)', source: path, value: undefined, expected: `at most ${MAX_CONFIG_BYTES} bytes` }]);
  let data: unknown;
  try {
    data = JSON5.parse(text);
  } catch (err) {
    throw new ConfigError([{ key: '(file)', source: path, value: undefined, expected: `valid JSON5: ${(err as Error).message}` }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError([{ key: '(root)', source: path, value: undefined, expected: 'expected an object' }]);
  return data as Record<string, unknown>;
}

/**
 * Validates `data` on its own (no env overrides; `secret:` references resolved from the store of `dataDir`),
 * moves inline secrets into that store, and writes the file atomically: a 0600 temp file, fsync, rename.
 * The file is rewritten as JSON (valid JSON5); comments in the old file are not kept. Returns the names of
 * the secrets it stored.
 * @example writeConfigFile('/etc/edgeclaw.json5', { hooks: { token: t } }, '/var/lib/edgeclaw', 'edgeclaw config set') // ['hooks.token']
 */
export function writeConfigFile(path: string, data: Record<string, unknown>, dataDir: string, by = 'edgeclaw'): string[] {
  resolveConfig(resolveConfigSecrets(data, dataDir, path), {}, path);
  const { config, moved } = storeConfigSecrets(data, dataDir, by);
  writeTextAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
  return moved;
}

/**
 * Replaces `path` with `text` atomically: a 0600 temp file beside it, fsync, rename. A crash leaves the
 * old file or the new one, never a torn one.
 * @example writeTextAtomic('/etc/edgeclaw.json5', '{}\n')
 */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Splits a dotted path (`gateway.credentials.0.id`); empty segments are a UsageError. */
export function splitPath(path: string): string[] {
  const parts = path.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new UsageError(`invalid key path "${path}"`);
  return parts;
}

/** The value at `parts`, or undefined. */
export function getAt(obj: unknown, parts: readonly string[]): unknown {
  let cur = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, p)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** A copy of `obj` with `value` at `parts` (intermediate objects created). */
export function setAt(obj: Record<string, unknown>, parts: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = parts;
  if (head === undefined) return obj;
  const copy: Record<string, unknown> = Array.isArray(obj) ? ([...obj] as unknown as Record<string, unknown>) : { ...obj };
  if (rest.length === 0) copy[head] = value;
  else {
    const next = copy[head];
    copy[head] = setAt(next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {}, rest, value);
  }
  return copy;
}

const SECRET_KEY = /token|secret|password|passwd|authorization|api[-_]?key|cookie/i;

/** A copy with secret-looking string values replaced (`env:NAME` and `secret:NAME` references stay visible: they are not secrets). */
export function redactSecrets(value: unknown, key = '', depth = 0): unknown {
  if (depth > 12) return '<deep>';
  if (typeof value === 'string') return SECRET_KEY.test(key) && !/^(env:|\$\{|secret:)/.test(value) ? '<redacted>' : value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, key, depth + 1));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k, depth + 1)]));
  return value;
}
