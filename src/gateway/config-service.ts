/**
 * `config.get/patch/set` inside GatewayDO. The stored config is the Node host's config file (through the
 * `CONFIG_FILE` port: atomic rename, 0600) or, where there is none (Workers), an overlay row in this
 * object's SQLite applied on top of the env vars. Writes need `baseHash` equal to the current hash,
 * validate with the one schema, keep redacted secrets, store plain gateway tokens as digests, move other
 * secret values into the host's secret store (the registry's `secrets` table: D1 on Workers, the registry
 * file on Node; the stored config keeps `secret:NAME` references), then apply
 * the hot sections in this process and report whether anything else needs a restart.
 */
import JSON5 from 'json5';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { applyHotSettings } from '../config/settings.ts';
import { ConfigError, type Config } from '../config/schema.ts';
import { changedPaths, configHash, configInvalid, HOT_PREFIXES, isHotPath, mergePatch, overlayConfig, redactConfig, restoreRedacted, validateStored, type JsonObject } from '../config/store.ts';
import type { SqlPort } from '../scheduler/session-schema.ts';
import { externalizeSecrets, resolveSecretRefs } from '../config/secret-refs.ts';
import { getRegistrySecrets, putRegistrySecrets } from '../config/registry-secrets.ts';

/** Largest config text accepted by config.patch/config.set. */
export const MAX_CONFIG_TEXT = 1024 * 1024;

/** The Node host's config file, as the gateway sees it (absent on Workers). */
export interface ConfigFilePort {
  /** Path shown in config.get. */
  readonly path: string;
  /** The file's text, or null when it does not exist. */
  read(): Promise<string | null>;
  /** Replaces the file atomically (temp file, fsync, rename; mode 0600). */
  write(text: string): Promise<void>;
  /** Effective config of `stored` with this host's env vars and flags on top. */
  resolve(stored: JsonObject): Config;
  /** `stored` with its `secret:NAME` references replaced by the secret store's values (INVALID_REQUEST naming a missing one). */
  resolveSecrets?(stored: JsonObject): JsonObject;
  /** Moves inline secret values into the secret store; resolves to the config to write (with references). */
  storeSecrets?(stored: JsonObject): Promise<JsonObject>;
}

/** config.get result. */
export interface ConfigSnapshot {
  path: string;
  exists: boolean;
  valid: boolean;
  raw: string;
  parsed: unknown;
  resolved: unknown;
  config: unknown;
  issues: { path: string; message: string }[];
  warnings: string[];
  hash: string;
  hotKeys: readonly string[];
}

/** config.patch/config.set result. */
export interface ConfigWriteResult {
  ok: true;
  path: string;
  hash: string;
  changedPaths: string[];
  /** Changed paths applied to the running gateway. */
  applied: string[];
  restartRequired: boolean;
  config: unknown;
}

type Row = Record<string, string | number | null | ArrayBuffer>;

function parseText(text: string, what: string): JsonObject {
  let data: unknown;
  try {
    data = JSON5.parse(text);
  } catch (err) {
    throw new GatewayError('INVALID_REQUEST', `invalid ${what}: not JSON5 (${(err as Error).message.slice(0, 200)})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new GatewayError('INVALID_REQUEST', `invalid ${what}: expected an object`);
  return data as JsonObject;
}

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Digests and references (secret store, env) are kept as they are. */
const NOT_PLAIN = /^(sha256:|secret:|env:|\$\{)/;

/** Gateway tokens (admin and `kind: token` credentials) are stored as `sha256:` digests, never in plain text. */
async function digestTokens(stored: JsonObject): Promise<JsonObject> {
  const gateway = stored.gateway;
  if (gateway === null || typeof gateway !== 'object' || Array.isArray(gateway)) return stored;
  const g = { ...(gateway as JsonObject) };
  if (typeof g.token === 'string' && !NOT_PLAIN.test(g.token)) g.token = `sha256:${await sha256Hex(g.token)}`;
  if (Array.isArray(g.credentials)) {
    g.credentials = await Promise.all(
      g.credentials.map(async (c: unknown) => {
        if (c === null || typeof c !== 'object') return c;
        const cred = c as JsonObject;
        return cred.kind === 'token' && typeof cred.secret === 'string' && !NOT_PLAIN.test(cred.secret) ? { ...cred, secret: `sha256:${await sha256Hex(cred.secret)}` } : cred;
      }),
    );
  }
  return { ...stored, gateway: g };
}

/** The config store of one gateway. */
/** The hot sections of a stored config (see HOT_PREFIXES) and the stored config's hash. */
export interface HotSections {
  hash: string;
  settings: Pick<Config, 'logLevel' | 'agent' | 'queue' | 'history' | 'cron'>;
}

export class ConfigService {
  readonly #env: Env;
  readonly #sql: SqlPort;
  readonly #file: ConfigFilePort | undefined;

  constructor(env: Env, sql: SqlPort) {
    this.#env = env;
    this.#sql = sql;
    this.#file = env.CONFIG_FILE;
  }

  /** Creates the overlay table (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS config_overlay (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, updated_at INTEGER NOT NULL)`);
  }

  get path(): string {
    return this.#file?.path ?? 'durable:gateway/config_overlay';
  }

  /** The stored config (file or overlay) and whether it exists. */
  async #stored(): Promise<{ stored: JsonObject; exists: boolean; text: string }> {
    if (this.#file) {
      const text = await this.#file.read();
      if (text === null) return { stored: {}, exists: false, text: '{}' };
      return { stored: parseText(text, 'config file'), exists: true, text };
    }
    const r = this.#sql.exec<Row>(`SELECT json FROM config_overlay WHERE id = 1`).toArray()[0];
    const text = r ? String(r.json) : '{}';
    return { stored: JSON.parse(text) as JsonObject, exists: r !== undefined, text };
  }

  /** Effective config of a stored config on this host. */
  effective(stored: JsonObject): Config {
    try {
      // SAFETY: Workers vars are strings; overlayConfig reads only the ENV_OVERRIDES names.
      return this.#file ? this.#file.resolve(stored) : overlayConfig(this.#env as unknown as Record<string, unknown>, stored);
    } catch (err) {
      if (err instanceof ConfigError) throw configInvalid(err);
      throw err;
    }
  }

  /** Applies the stored overlay's hot sections to this process (Workers: after the object starts). */
  async applyStored(): Promise<void> {
    if (this.#file) return; // the Node host started from the file already
    const { stored, exists } = await this.#stored();
    if (exists) applyHotSettings(this.#env, this.effective(await this.#plain(stored)));
  }

  /** `stored` with its `secret:NAME` references replaced by stored values; INVALID_REQUEST names a missing one. */
  async #plain(stored: JsonObject): Promise<JsonObject> {
    if (this.#file) return this.#file.resolveSecrets ? this.#file.resolveSecrets(stored) : stored;
    const names: string[] = [];
    resolveSecretRefs(stored, (name) => (names.push(name), undefined));
    if (names.length === 0) return stored;
    const values = await getRegistrySecrets(this.#env.DB, names);
    const { config, missing } = resolveSecretRefs(stored, (name) => values.get(name));
    if (missing.length > 0) {
      throw new GatewayError('INVALID_REQUEST', `invalid config: ${missing[0]!.path}: secret "${missing[0]!.name}" is not in the secret store`, {
        details: { issues: missing.map((m) => ({ path: m.path, message: `secret "${m.name}" is not in the secret store` })) },
      });
    }
    return config;
  }

  /** Moves inline secret values into the host's secret store; returns what to store (with references). */
  async #externalize(plain: JsonObject): Promise<JsonObject> {
    if (this.#file) return this.#file.storeSecrets ? this.#file.storeSecrets(plain) : plain;
    const entries: [string, string][] = [];
    const { config } = externalizeSecrets(plain, (name, value) => entries.push([name, value]));
    if (entries.length > 0) await putRegistrySecrets(this.#env.DB, entries, 'config.patch');
    return config;
  }

  /**
   * The hot sections of the effective config for objects in other isolates (Workers session objects), with
   * the stored config's hash so a caller applies each version once; null when nothing is stored.
   */
  async hotSections(): Promise<HotSections | null> {
    const { stored, exists } = await this.#stored();
    if (!exists) return null;
    const c = this.effective(stored);
    return { hash: await configHash(stored), settings: { logLevel: c.logLevel, agent: c.agent, queue: c.queue, history: c.history, cron: c.cron } };
  }

  /** config.get: everything redacted, plus the hash writes must quote. */
  async get(): Promise<ConfigSnapshot> {
    let stored: JsonObject = {};
    let exists = false;
    const issues: { path: string; message: string }[] = [];
    try {
      ({ stored, exists } = await this.#stored());
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      issues.push({ path: '(file)', message: err.message });
    }
    let effective: Config | null = null;
    try {
      effective = this.effective(await this.#plain(stored));
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      const details = err.extra.details as { issues?: { path: string; message: string }[] } | undefined;
      issues.push(...(details?.issues ?? [{ path: '(root)', message: err.message }]));
    }
    const parsed = redactConfig(stored);
    const resolved = effective ? redactConfig(effective) : null;
    return {
      path: this.path,
      exists,
      valid: issues.length === 0,
      raw: JSON.stringify(parsed, null, 2),
      parsed,
      resolved,
      config: resolved,
      issues,
      warnings: this.#file ? [] : ['on Workers the stored overlay applies its hot keys at once; other keys are read from vars (set them with wrangler)'],
      hash: await configHash(stored),
      hotKeys: HOT_PREFIXES,
    };
  }

  /**
   * config.patch (`mode: patch`, a JSON5 merge patch) or config.set (`mode: set`, the whole config).
   * `baseHash` must equal the current hash; the result is validated, stored, and its hot keys applied.
   */
  async write(mode: 'patch' | 'set', raw: string, baseHash: string): Promise<ConfigWriteResult> {
    if (raw.length > MAX_CONFIG_TEXT) throw new GatewayError('INVALID_REQUEST', `invalid config.${mode} params: raw: at most ${MAX_CONFIG_TEXT} characters`);
    const { stored } = await this.#stored();
    const current = await configHash(stored);
    if (baseHash !== current) {
      throw new GatewayError('INVALID_REQUEST', 'config changed since it was read (baseHash does not match); call config.get and retry with its hash', {
        details: { code: 'CONFIG_BASE_HASH_MISMATCH', currentHash: current },
      });
    }
    const incoming = parseText(raw, `config.${mode} raw`);
    const merged = mode === 'patch' ? (mergePatch(stored, incoming) as JsonObject) : incoming;
    const plain = await digestTokens(restoreRedacted(merged, stored) as JsonObject);
    const resolved = await this.#plain(plain);
    validateStored(resolved);
    const after = this.effective(resolved);
    // Secret values go to the secret store (Node: the registry file; Workers: D1); the config keeps `secret:` references.
    const next = await this.#externalize(plain);
    const text = `${JSON.stringify(next, null, 2)}\n`;
    if (this.#file) await this.#file.write(text);
    else this.#sql.exec(`INSERT INTO config_overlay (id, json, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`, JSON.stringify(next), Date.now());
    const changed = changedPaths(stored, next);
    const applied = changed.filter(isHotPath);
    applyHotSettings(this.#env, after);
    return { ok: true, path: this.path, hash: await configHash(next), changedPaths: changed, applied, restartRequired: applied.length < changed.length, config: redactConfig(after) };
  }
}
