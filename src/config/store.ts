/**
 * Pure helpers behind `config.get/patch/set`: canonical JSON and its hash (optimistic concurrency),
 * JSON merge patch (RFC 7396), secret redaction with a round-trippable sentinel, validation of a stored
 * config with paths in errors, and which changed keys apply without a restart.
 */
import { GatewayError } from '../errors.ts';
import { ConfigError, ConfigSchema, ENV_OVERRIDES, resolveConfig, type Config } from './schema.ts';

/** What `config.get` shows instead of a secret; sending it back unchanged keeps the stored value. */
export const REDACTED = '__EDGECLAW_REDACTED__';

/** Key names whose string values are secrets. */
const SECRET_KEY = /token|secret|password|passwd|authorization|api[-_]?key|cookie/i;

/** Key prefixes applied to the running gateway at once; anything else needs a restart. */
export const HOT_PREFIXES = ['logLevel', 'agent', 'queue', 'history', 'cron'] as const;

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * JSON with object keys sorted at every level: equal configs give equal text.
 * @example canonicalJson({ b: 1, a: { d: 2, c: 3 } }) === '{"a":{"c":3,"d":2},"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * SHA-256 (hex) of the canonical JSON of a stored config: the `hash` / `baseHash` of config methods.
 * @example await configHash({}) // '44136fa3…' (the hash of "{}")
 */
export async function configHash(stored: JsonObject): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(stored)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * RFC 7396 merge patch: objects merge, `null` deletes, anything else (arrays included) replaces.
 * @example mergePatch({ queue: { cap: 5, mode: 'steer' } }, { queue: { cap: null, drop: 'old' } }) // { queue: { mode: 'steer', drop: 'old' } }
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (FORBIDDEN_KEYS.has(k)) throw new GatewayError('INVALID_REQUEST', `invalid config patch: ${k}: reserved key`);
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * A copy with every secret-looking string replaced by REDACTED (`env:NAME` and `secret:NAME` references stay visible).
 * @example redactConfig({ gateway: { token: 'abc' } }) // { gateway: { token: '__EDGECLAW_REDACTED__' } }
 */
export function redactConfig(value: unknown, key = '', depth = 0): unknown {
  if (depth > 32) return REDACTED;
  if (typeof value === 'string') return SECRET_KEY.test(key) && !/^(env:|\$\{|secret:)/.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key, depth + 1));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k, depth + 1)]));
  return value;
}

/** The element of `stored` an incoming array element stands for: same `id` if it has one, else same index. */
function counterpart(stored: unknown[], item: unknown, index: number): unknown {
  if (isObject(item) && typeof item.id === 'string') return stored.find((s) => isObject(s) && s.id === item.id);
  return stored[index];
}

/**
 * Puts stored secrets back where `incoming` still carries REDACTED (a client sent config.get's output back).
 * A sentinel with no stored value behind it is an error naming the path.
 * @example restoreRedacted({ hooks: { token: REDACTED } }, { hooks: { token: 'kept-secret-value' } }) // { hooks: { token: 'kept-secret-value' } }
 */
export function restoreRedacted(incoming: unknown, stored: unknown, path: string[] = []): unknown {
  if (incoming === REDACTED) {
    if (typeof stored === 'string') return stored;
    throw new GatewayError('INVALID_REQUEST', `invalid config: ${path.join('.') || '(root)'}: ${REDACTED} has no stored value to keep; send the real value`, {
      details: { issues: [{ path: path.join('.'), message: 'redacted placeholder without a stored value' }] },
    });
  }
  if (Array.isArray(incoming)) {
    const from = Array.isArray(stored) ? stored : [];
    return incoming.map((v, i) => restoreRedacted(v, counterpart(from, v, i), [...path, String(i)]));
  }
  if (isObject(incoming)) {
    const from = isObject(stored) ? stored : {};
    return Object.fromEntries(Object.entries(incoming).map(([k, v]) => [k, restoreRedacted(v, from[k], [...path, k])]));
  }
  return incoming;
}

/**
 * Dotted paths whose values differ between two configs (leaves; arrays compare whole).
 * @example changedPaths({ queue: { cap: 1 } }, { queue: { cap: 2 }, logLevel: 'debug' }) // ['logLevel', 'queue.cap']
 */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  // A section that appears or disappears is reported by its leaves, so hot keys are recognised.
  if (before === undefined && isObject(after)) before = {};
  if (after === undefined && isObject(before)) after = {};
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return canonicalJson(before) === canonicalJson(after) ? [] : [prefix || '(root)'];
}

/** Whether a changed path applies without a restart. */
export function isHotPath(path: string): boolean {
  return HOT_PREFIXES.some((p) => path === p || path.startsWith(`${p}.`));
}

/** Turns a ConfigError into the protocol's INVALID_REQUEST, naming the first bad path. */
export function configInvalid(err: ConfigError): GatewayError {
  const first = err.problems[0];
  return new GatewayError('INVALID_REQUEST', `invalid config: ${first ? `${first.key}: ${first.expected}` : 'malformed'}`, {
    details: { issues: err.problems.map((p) => ({ path: p.key, message: p.expected })) },
  });
}

/**
 * Validates a stored config on its own (no env): the object that would be written. Throws INVALID_REQUEST
 * naming the bad path.
 * @example validateStored({ queue: { cap: 0 } }) // throws "invalid config: queue.cap: expected an integer between 1 and 10000"
 */
export function validateStored(stored: unknown): Config {
  try {
    return resolveConfig(stored, {}, 'config');
  } catch (err) {
    if (err instanceof ConfigError) throw configInvalid(err);
    throw err;
  }
}

/** The env vars of ENV_OVERRIDES as a config object (what a Workers deployment is configured with). */
export function envAsConfig(env: Readonly<Record<string, unknown>>): JsonObject {
  const out: JsonObject = {};
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (typeof raw !== 'string' || raw === '') continue;
    const parts = path.split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) cur = (cur[p] = isObject(cur[p]) ? cur[p] : {}) as JsonObject;
    cur[parts[parts.length - 1]!] = raw;
  }
  return out;
}

/**
 * Effective config of a Workers deployment: env vars with the stored overlay on top (the overlay wins).
 * @example overlayConfig({ EDGECLAW_QUEUE_CAP: '5' }, { queue: { cap: 9 } }).queue.cap === 9
 */
export function overlayConfig(env: Readonly<Record<string, unknown>>, overlay: JsonObject): Config {
  const merged = mergePatch(envAsConfig(env), overlay);
  const parsed = ConfigSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  // The overlay was valid when stored, so this is a bad env var; report it the usual way.
  return validateStored(merged);
}
