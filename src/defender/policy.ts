// Default defender policy and the merge of a partial policy (config or signed bundle) over it.
import type { DefenderPolicy } from './types.ts';

/** Protected paths by default: system config, keys, shell rc files, crontabs, units, our own data. */
export const DEFAULT_PROTECTED_PATHS: readonly string[] = [
  '/etc/', '/boot/', '/dev/sd', '/dev/nvme', '/dev/disk', '/proc/sys/', '/sys/',
  '~/.ssh/', '~/.gnupg/', '~/.aws/', '~/.config/gcloud/', '~/.azure/', '~/.kube/', '~/.docker/config.json',
  '~/.netrc', '~/.git-credentials', '~/.npmrc', '~/.pypirc',
  '~/.bashrc', '~/.bash_profile', '~/.profile', '~/.zshrc', '~/.zprofile', '~/.bash_logout', '~/.config/fish/',
  '/var/spool/cron/', '/etc/cron', '/etc/systemd/', '/lib/systemd/', '/usr/lib/systemd/', '~/.config/systemd/',
  '/etc/sudoers', '/etc/passwd', '/etc/shadow',
  '~/.edgeclaw/', '~/.openclaw/', './data/', 'data/secrets/',
];

/** The defaults from the seed reference: review at 35, block at 65, loop detection on (10/20/30 in 30). */
export const DEFAULT_POLICY: DefenderPolicy = Object.freeze({
  reviewThreshold: 35,
  blockThreshold: 65,
  weights: {},
  allowedCommandPrefixes: [],
  protectedPaths: [...DEFAULT_PROTECTED_PATHS],
  toolRiskBonus: {},
  tools: { profile: 'full' },
  loop: { enabled: true, window: 30, warn: 10, critical: 20, breaker: 30 },
  auditOnly: false,
  maxInputChars: 200_000,
}) as DefenderPolicy;

/** A policy with any subset of fields set; nested `loop` may be partial too. */
export type PartialPolicy = Partial<Omit<DefenderPolicy, 'loop'>> & { loop?: Partial<DefenderPolicy['loop']> };

/**
 * Fills a partial policy from the defaults and checks it (review < block, both in 1..100).
 * @example resolvePolicy({ blockThreshold: 80 })
 */
export function resolvePolicy(partial: PartialPolicy = {}): DefenderPolicy {
  const p: DefenderPolicy = {
    ...DEFAULT_POLICY,
    ...partial,
    weights: { ...DEFAULT_POLICY.weights, ...partial.weights },
    loop: { ...DEFAULT_POLICY.loop, ...partial.loop },
    tools: partial.tools ?? DEFAULT_POLICY.tools,
  };
  if (!(p.reviewThreshold > 0 && p.reviewThreshold < p.blockThreshold && p.blockThreshold <= 100)) {
    throw new Error(`defender policy: need 0 < reviewThreshold (${p.reviewThreshold}) < blockThreshold (${p.blockThreshold}) <= 100`);
  }
  const l = p.loop;
  if (!(l.warn > 0 && l.warn <= l.critical && l.critical <= l.breaker && l.window >= 1)) {
    throw new Error('defender policy: need 0 < loop.warn <= loop.critical <= loop.breaker and loop.window >= 1');
  }
  return p;
}

/** Named threshold sets for `defender.profile` (used when no signed policy bundle is active). */
export const DEFENDER_PROFILES = {
  strict: { reviewThreshold: 20, blockThreshold: 50 },
  balanced: { reviewThreshold: DEFAULT_POLICY.reviewThreshold, blockThreshold: DEFAULT_POLICY.blockThreshold },
  permissive: { reviewThreshold: 50, blockThreshold: 80 },
} as const satisfies Record<string, PartialPolicy>;

/** A profile name. */
export type DefenderProfile = keyof typeof DEFENDER_PROFILES;

/**
 * The default policy with a profile's thresholds; an unknown or missing name gives `balanced`.
 * @example profilePolicy('strict').blockThreshold === 50
 */
export function profilePolicy(name: string | undefined): DefenderPolicy {
  if (!name || name === 'balanced' || !Object.hasOwn(DEFENDER_PROFILES, name)) return DEFAULT_POLICY;
  return resolvePolicy(DEFENDER_PROFILES[name as DefenderProfile]);
}
