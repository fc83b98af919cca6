// The policy the gateway runs under: a signed bundle (EDGECLAW_POLICY_BUNDLE) verified against a trust file (EDGECLAW_POLICY_TRUST), cached per env; a rejected bundle keeps the previous good policy.
import { applyPolicyBundle, applyRootRotation, BundleError, initialState, type BundleErrorCode, type BundleState, type Envelope, type TrustRoot } from './bundle.ts';
import { DEFAULT_POLICY, profilePolicy } from './policy.ts';
import { createLogger } from '../log.ts';
import type { DefenderPolicy } from './types.ts';
import { readMeta, writeMeta } from '../storage/repos/meta.ts';

/** The vars this module reads (a subset of src/env.ts Vars). */
export interface PolicyVars {
  readonly EDGECLAW_POLICY_BUNDLE?: string;
  readonly EDGECLAW_POLICY_TRUST?: string;
  /** `defender.profile`: the thresholds used while no bundle is active (strict | balanced | permissive). */
  readonly EDGECLAW_DEFENDER_PROFILE?: string;
  /** The registry; when present the last accepted bundle is remembered there across restarts. */
  readonly DB?: Pick<D1Database, 'prepare'>;
}

/** A trust file: a pinned root plus the rotations (root N -> N+1 envelopes) to apply in order. */
export interface TrustFile { root: TrustRoot; rotations: Envelope[] }

/** The policy in force, where it came from, and the last rejection if the newest bundle was refused. */
export interface ActivePolicy {
  policy: DefenderPolicy;
  /** Version of the accepted bundle, or null when running on DEFAULT_POLICY. */
  bundleVersion: number | null;
  policyId?: string;
  /** Root version the bundle was checked against. */
  rootVersion?: number;
  /** Hex SHA-256 of the accepted bundle's text (what `defender.attest` reports). */
  bundleSha256?: string;
  error?: { code: BundleErrorCode | 'CONFIG'; message: string };
}

const MAX_ROTATIONS = 64;

/** Parses a trust file: either a bare TrustRoot or `{root, rotations[]}`. Throws BundleError('MALFORMED'). */
export function parseTrustFile(text: string): TrustFile {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new BundleError('MALFORMED', 'trust file is not JSON'); }
  const o = (v ?? {}) as Partial<TrustFile> & Partial<TrustRoot>;
  const root = (o.root ?? o) as TrustRoot;
  const rotations = Array.isArray(o.rotations) ? o.rotations : [];
  if (!root || !Number.isSafeInteger(root.version) || !Number.isSafeInteger(root.threshold) || root.threshold < 1 || typeof root.keys !== 'object' || root.keys === null || typeof root.expiresAt !== 'string') {
    throw new BundleError('MALFORMED', 'trust root needs version, expiresAt, threshold >= 1 and keys {keyid: base64 public key}');
  }
  if (Object.keys(root.keys).length < root.threshold) throw new BundleError('MALFORMED', `trust root lists fewer keys than its threshold ${root.threshold}`);
  if (rotations.length > MAX_ROTATIONS) throw new BundleError('MALFORMED', `more than ${MAX_ROTATIONS} rotations in the trust file`);
  return { root, rotations };
}

/** Verifier state after applying every rotation of the trust file to its pinned root. */
export async function trustState(trust: TrustFile, now: number = Date.now()): Promise<BundleState> {
  let state = initialState(trust.root);
  for (const r of trust.rotations) state = await applyRootRotation(state, r, now);
  return state;
}

/** What survives a restart: the last accepted bundle (its text re-verified on load) and its version floor. */
export interface PersistedPolicy { bundle: string; bundleVersion: number; rootVersion: number }

/** Where the holder keeps PersistedPolicy (D1 `meta` on both runtimes; memory in unit tests). */
export interface PolicyStateStore {
  load(): Promise<PersistedPolicy | null>;
  save(state: PersistedPolicy): Promise<void>;
}

/** Largest bundle text persisted (a bigger one is still used, but not remembered across restarts). */
const MAX_PERSISTED_BUNDLE = 256 * 1024;
const META_KEY = 'defender.policy.active';

/**
 * A PolicyStateStore over the registry's `meta` table (D1 on Workers, SQLite on Node).
 * @example new PolicyHolder(d1PolicyStore(env.DB))
 */
export function d1PolicyStore(db: Pick<D1Database, 'prepare'>): PolicyStateStore {
  return {
    async load() {
      const v = await readMeta<PersistedPolicy>(db, META_KEY);
      return v && typeof v.bundle === 'string' && Number.isSafeInteger(v.bundleVersion) && Number.isSafeInteger(v.rootVersion) ? v : null;
    },
    save: (state) => writeMeta(db, META_KEY, state),
  };
}

/** Hex SHA-256 of a text (WebCrypto; both runtimes). */
export async function sha256HexOf(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Holds the last good bundle state. `apply` verifies a (bundle, trust) pair; on a rejection the previous
 * good policy (or DEFAULT_POLICY) stays active and the specific error is returned alongside it. With a
 * store, the last accepted bundle and its version survive restarts: an older bundle configured after a
 * restart is refused as ROLLBACK and the remembered one stays in force.
 */
export class PolicyHolder {
  #good: BundleState | null = null;
  #goodKey = '';
  #current: ActivePolicy = { policy: DEFAULT_POLICY, bundleVersion: null };
  readonly #store: PolicyStateStore | null;
  #restored: Promise<PersistedPolicy | null> | null = null;

  constructor(store: PolicyStateStore | null = null) {
    this.#store = store;
  }

  /** The policy in force now. */
  get current(): ActivePolicy { return this.#current; }

  /** Verifies and, when accepted, activates the bundle; returns what is now in force. */
  async apply(bundleText: string | undefined, trustText: string | undefined, now: number = Date.now()): Promise<ActivePolicy> {
    const key = `${trustText ?? ''}\u0000${bundleText ?? ''}`;
    if (this.#good && key === this.#goodKey) return this.#current;
    const keep = (code: BundleErrorCode | 'CONFIG', message: string): ActivePolicy => {
      const { error: _old, ...prev } = this.#current;
      this.#current = { ...prev, error: { code, message } };
      return this.#current;
    };
    const persisted = await this.#restore();
    if (!bundleText) return this.#good ? keep('CONFIG', 'EDGECLAW_POLICY_BUNDLE is empty; keeping the previous bundle') : this.#current;
    if (!trustText) return keep('CONFIG', 'EDGECLAW_POLICY_BUNDLE is set but EDGECLAW_POLICY_TRUST is not; bundle ignored');
    try {
      let state = await trustState(parseTrustFile(trustText), now);
      if (!this.#good && persisted && persisted.bundle !== bundleText && persisted.rootVersion <= state.root.version) {
        // First bundle since a restart: re-establish the remembered one under today's trust, so its version is the floor.
        try {
          const restored = await applyPolicyBundle(state, persisted.bundle, now);
          this.#activate(restored, `${trustText}\u0000${persisted.bundle}`, await sha256HexOf(persisted.bundle));
        } catch {
          // It no longer verifies (expired, rotated away): still refuse anything older than it was.
          state = { ...state, lastVersion: persisted.bundleVersion };
        }
      }
      // Rollback protection against the last accepted bundle while the trust root is unchanged or rotated forward.
      if (this.#good && state.root.version >= this.#good.root.version) state = { ...state, lastVersion: Math.max(state.lastVersion, this.#good.lastVersion) };
      const next = await applyPolicyBundle(state, bundleText, now);
      this.#activate(next, key, await sha256HexOf(bundleText));
      if (this.#store && bundleText.length <= MAX_PERSISTED_BUNDLE) {
        await this.#store.save({ bundle: bundleText, bundleVersion: next.lastVersion, rootVersion: next.root.version }).catch(() => undefined);
      }
      return this.#current;
    } catch (err) {
      if (err instanceof BundleError) return keep(err.code, err.message);
      return keep('CONFIG', (err as Error).message);
    }
  }

  #activate(next: BundleState, key: string, bundleSha256: string): void {
    this.#good = next;
    this.#goodKey = key;
    const p = next.active!.payload;
    this.#current = { policy: next.active!.policy, bundleVersion: p.bundleVersion, rootVersion: next.root.version, bundleSha256, ...(p.policyId ? { policyId: p.policyId } : {}) };
  }

  #restore(): Promise<PersistedPolicy | null> {
    this.#restored ??= this.#store ? this.#store.load().catch(() => null) : Promise.resolve(null);
    return this.#restored;
  }
}

const holders = new WeakMap<object, PolicyHolder>();
const memoryHolder = new PolicyHolder();
const perEnv = new WeakMap<object, { key: string; result: Promise<ActivePolicy> }>();

/** One holder per registry database (its state is remembered there), or a memory-only one without a DB. */
function holderOf(env: PolicyVars): PolicyHolder {
  if (!env.DB) return memoryHolder;
  let h = holders.get(env.DB);
  if (!h) holders.set(env.DB, (h = new PolicyHolder(d1PolicyStore(env.DB))));
  return h;
}

/**
 * The active policy for this env, verified once per env and bundle text; errors are logged via `log`.
 * @example const { policy } = await activePolicyFor(env); evaluate(input, policy);
 */
export function activePolicyFor(env: PolicyVars, log: (msg: string, fields: Record<string, unknown>) => void = defaultLog, h: PolicyHolder = holderOf(env)): Promise<ActivePolicy> {
  const key = `${env.EDGECLAW_POLICY_TRUST ?? ''}\u0000${env.EDGECLAW_POLICY_BUNDLE ?? ''}\u0000${env.EDGECLAW_DEFENDER_PROFILE ?? ''}`;
  const hit = perEnv.get(env);
  if (hit && hit.key === key) return hit.result;
  const result = h.apply(env.EDGECLAW_POLICY_BUNDLE, env.EDGECLAW_POLICY_TRUST).then((a) => {
    if (a.error) log('policy bundle rejected; previous policy stays active', { code: a.error.code, error: a.error.message, activeVersion: a.bundleVersion });
    // Without an accepted bundle, the configured profile sets the thresholds; a bundle always wins.
    return a.bundleVersion === null ? { ...a, policy: profilePolicy(env.EDGECLAW_DEFENDER_PROFILE) } : a;
  });
  perEnv.set(env, { key, result });
  return result;
}

function defaultLog(msg: string, fields: Record<string, unknown>): void {
  createLogger('warn', { component: 'defender' }).warn(msg, fields);
}
