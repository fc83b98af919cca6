// host_guard: protected paths for file tools and commands, and the pure half of the integrity baseline
// (the Node host hashes the configured files; this compares hashes and turns changes into reasons).
import { DEFAULT_PROTECTED_PATHS } from './policy.ts';
import type { Reason } from './types.ts';

const G = 'host_guard' as const;
const SECRET_DIRS = /^~\/\.(?:ssh|gnupg|aws|azure|kube|docker|config\/gcloud)\/|^~\/\.(?:netrc|git-credentials|npmrc|pypirc)$|^\/etc\/(?:shadow|gshadow|sudoers)|secrets\//;

/** Canonical form for matching: quotes dropped, `$HOME`, `/home/<u>`, `/root`, `/Users/<u>` become `~`. */
export function canonicalPath(p: string): string {
  let s = p.trim().replace(/^['"]|['"]$/g, '');
  s = s.replace(/^(?:\$HOME|\$\{HOME\}|\/home\/[^/]+|\/Users\/[^/]+|\/root)(?=\/|$)/, '~');
  s = s.replace(/\/\.\//g, '/').replace(/\/{2,}/g, '/');
  return s;
}

function matches(path: string, protectedPath: string): boolean {
  const pp = protectedPath;
  if (pp.endsWith('/')) return path.startsWith(pp) || path === pp.slice(0, -1);
  return path === pp || path.startsWith(pp);
}

/**
 * Reasons for touching `path` with `op`: writes and deletes of protected paths, reads of secret ones.
 * @example pathRules('~/.ssh/authorized_keys', 'write')[0].rule === 'host.protected_path_write'
 */
export function pathRules(path: string, op: 'read' | 'write' | 'delete' | 'exec', protectedPaths: readonly string[] = DEFAULT_PROTECTED_PATHS): Reason[] {
  if (!path || path.length > 4096) return [];
  const p = canonicalPath(path);
  if (!(p.startsWith('/') || p.startsWith('~') || p.startsWith('.') || p.includes('/'))) return [];
  const hit = protectedPaths.find((pp) => matches(p, pp));
  if (!hit) return [];
  if (op === 'write' || op === 'delete') return [{ guard: G, rule: `host.protected_path_${op}`, weight: 55, detail: `${p} (protected: ${hit})` }];
  if (SECRET_DIRS.test(p)) return [{ guard: G, rule: 'host.protected_path_read', weight: 30, detail: p }];
  return [];
}

/** One file's state: its SHA-256 (hex), or null when it is missing. */
export type FileHashes = Record<string, string | null>;

/**
 * Compares current hashes with a baseline; every change or disappearance is a reason (tampering).
 * @example checkIntegrity({ '/etc/x': 'aa' }, { '/etc/x': 'bb' })[0].rule === 'host.integrity_changed'
 */
export function checkIntegrity(baseline: FileHashes, current: FileHashes): Reason[] {
  const out: Reason[] = [];
  for (const [path, hash] of Object.entries(baseline)) {
    if (hash === null) continue;
    const now = current[path];
    if (now === undefined || now === null) out.push({ guard: G, rule: 'host.integrity_missing', weight: 55, floor: 'review', detail: `${path} is missing` });
    else if (now !== hash) out.push({ guard: G, rule: 'host.integrity_changed', weight: 55, floor: 'review', detail: `${path} hash changed (baseline=${hash.slice(0, 12)}, current=${now.slice(0, 12)})` });
  }
  return out;
}

/** SHA-256 hex of bytes with WebCrypto (both runtimes). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}
