/**
 * Secrets kept apart from the config: a config value `secret:NAME` is a reference into the host's secret
 * store (Node: the registry's `secrets` table in the 0700 data dir). Pure helpers to find inline secrets,
 * move them out (leaving references) and resolve references back before validation. Which keys hold
 * secrets is decided by name, the same rule `config.get` redacts by.
 */

/** Prefix of a secret reference in a config value. */
export const SECRET_REF_PREFIX = 'secret:';

/** A secret's name: what follows `secret:` (also the row name in the store). */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;

/** Key names whose string values are secrets (URLs and env-var name lists are not). */
const SECRET_KEY = /token|secret|password|passwd|authorization|api[-_]?key|cookie/i;
const NOT_SECRET_KEY = /(Url|Env|Envs)$/;

/** Values that are not secret material even under a secret key: references and one-way digests. */
const NOT_SECRET_VALUE = /^(env:|\$\{|secret:|sha256:|pbkdf2-sha256:)/;

/** A JSON object. */
type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Whether values under `key` are secrets.
 * @example isSecretKey('apiKey') === true && isSecretKey('apiKeyEnv') === false
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);
}

/**
 * The name a `secret:NAME` value refers to, or null when it is not a reference.
 * @example secretRefName('secret:models.providers.openai.apiKey') === 'models.providers.openai.apiKey'
 */
export function secretRefName(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith(SECRET_REF_PREFIX)) return null;
  const name = value.slice(SECRET_REF_PREFIX.length);
  return SECRET_NAME.test(name) ? name : null;
}

/** One secret-bearing leaf: its dotted path (array items by `id` when they have one) and where it is. */
export interface SecretLeaf {
  /** Dotted path shown to people, e.g. `channels.telegram.accounts.default.token`; also the store name. */
  name: string;
  value: string;
}

/** Maps every string leaf under a secret key through `fn` (undefined keeps the value). */
function mapLeaves(value: unknown, fn: (leaf: SecretLeaf) => string | undefined, path: string[] = [], key = '', depth = 0): unknown {
  if (depth > 32) return value;
  if (typeof value === 'string') {
    if (!isSecretKey(key)) return value;
    return fn({ name: path.join('.'), value }) ?? value;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => mapLeaves(item, fn, [...path, isObject(item) && typeof item.id === 'string' && SECRET_NAME.test(item.id) ? item.id : String(i)], key, depth + 1));
  }
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapLeaves(v, fn, [...path, k], k, depth + 1)]));
  return value;
}

/**
 * Secret values written inline in a config (not references, not digests): what should move to the store.
 * @example inlineSecrets({ hooks: { token: 'abc…' } }) // [{ name: 'hooks.token', value: 'abc…' }]
 */
export function inlineSecrets(config: unknown): SecretLeaf[] {
  const out: SecretLeaf[] = [];
  mapLeaves(config, (leaf) => {
    if (leaf.value !== '' && !NOT_SECRET_VALUE.test(leaf.value)) out.push(leaf);
    return undefined;
  });
  return out;
}

/**
 * A copy of `config` with every inline secret replaced by `secret:<path>`, after `put(name, value)` stored
 * it. Returns the names moved.
 * @example externalizeSecrets({ hooks: { token: 't…' } }, put) // { config: { hooks: { token: 'secret:hooks.token' } }, moved: ['hooks.token'] }
 */
export function externalizeSecrets(config: Obj, put: (name: string, value: string) => void): { config: Obj; moved: string[] } {
  const moved: string[] = [];
  const out = mapLeaves(config, (leaf) => {
    if (leaf.value === '' || NOT_SECRET_VALUE.test(leaf.value)) return undefined;
    if (!SECRET_NAME.test(leaf.name)) return undefined;
    put(leaf.name, leaf.value);
    moved.push(leaf.name);
    return `${SECRET_REF_PREFIX}${leaf.name}`;
  }) as Obj;
  return { config: out, moved };
}

/**
 * A copy of `config` with every `secret:NAME` reference under a secret key replaced by the stored value
 * (elsewhere, e.g. in a system prompt, `secret:` is plain text); references with no stored value are
 * listed in `missing` (and left as they are).
 * @example resolveSecretRefs({ hooks: { token: 'secret:hooks.token' } }, (n) => store.get(n))
 */
export function resolveSecretRefs(config: Obj, lookup: (name: string) => string | undefined): { config: Obj; missing: { path: string; name: string }[] } {
  const missing: { path: string; name: string }[] = [];
  const walk = (value: unknown, path: string[], key: string, depth: number): unknown => {
    if (depth > 32) return value;
    const name = isSecretKey(key) ? secretRefName(value) : null;
    if (name !== null) {
      const found = lookup(name);
      if (found === undefined) missing.push({ path: path.join('.'), name });
      return found ?? value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)], key, depth + 1));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], k, depth + 1)]));
    return value;
  };
  return { config: walk(config, [], '', 0) as Obj, missing };
}

/**
 * Whether a config (as stored) holds any `secret:` reference.
 * @example hasSecretRefs({ hooks: { token: 'secret:hooks.token' } }) === true
 */
export function hasSecretRefs(config: unknown): boolean {
  let found = false;
  resolveSecretRefs(isObject(config) ? config : {}, () => {
    found = true;
    return '';
  });
  return found;
}
