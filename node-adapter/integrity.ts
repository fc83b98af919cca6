/**
 * The host guard's integrity baseline on Node: SHA-256 of the configured files (default: the config file,
 * the policy bundle and trust files, the server bundle entry) taken at start and re-checked every
 * `EDGECLAW_INTEGRITY_INTERVAL_SECS`. A change or a missing file is a defender decision: an audit row, a
 * `defender.decision` event (kind `file`), and, until the operator restarts (accepting the new state),
 * every tool call is at least `review`. Bounded: at most MAX_FILES files of at most MAX_BYTES each.
 */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkIntegrity, type FileHashes } from '../src/defender/host-guard.ts';
import type { Reason } from '../src/defender/types.ts';
import type { Env } from '../src/env.ts';
import type { Logger } from '../src/log.ts';

/** Most files watched; the rest of a longer list is refused at start. */
export const MAX_FILES = 64;
/** Files larger than this are hashed on their first MAX_BYTES (and the size is part of the hash). */
export const MAX_BYTES = 64 * 1024 * 1024;

/** What the defender asks: the findings since start (empty when everything is as it was). */
export interface IntegrityPort {
  findings(): readonly Reason[];
}

/** Hex SHA-256 of a file (its size included), or null when it cannot be read. */
export function hashFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const h = createHash('sha256').update(`${size}\0`);
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let read = 0; read < Math.min(size, MAX_BYTES); ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, MAX_BYTES - read), read);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      read += n;
    }
    return h.digest('hex');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The files to watch: `EDGECLAW_INTEGRITY_PATHS` (comma-separated; `none` turns it off) or the defaults. */
export function integrityPaths(env: NodeJS.ProcessEnv, defaults: readonly (string | undefined)[]): string[] {
  const raw = env.EDGECLAW_INTEGRITY_PATHS;
  if (raw?.trim() === 'none') return [];
  const list = raw ? raw.split(',').map((p) => p.trim()).filter(Boolean) : defaults.filter((p): p is string => !!p);
  const unique = [...new Set(list.map((p) => resolve(p)))];
  if (unique.length > MAX_FILES) throw new Error(`EDGECLAW_INTEGRITY_PATHS lists ${unique.length} files; at most ${MAX_FILES}`);
  return unique;
}

/** Seconds between checks (`EDGECLAW_INTEGRITY_INTERVAL_SECS`, default 60; 1..86400). */
export function integrityInterval(env: NodeJS.ProcessEnv): number {
  const raw = env.EDGECLAW_INTEGRITY_INTERVAL_SECS;
  if (raw === undefined) return 60;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new Error(`EDGECLAW_INTEGRITY_INTERVAL_SECS=${raw}: expected whole seconds from 1 to 86400`);
  return n;
}

/** A running monitor. */
export interface IntegrityMonitor extends IntegrityPort {
  /** Checks now (also what the timer does); resolves with the new findings of this check. */
  check(): Promise<Reason[]>;
  stop(): void;
}

/**
 * Takes the baseline now and re-checks every `intervalSecs`; new findings are reported once each.
 * @example const m = startIntegrityMonitor(paths, 60, () => env, log)
 */
export function startIntegrityMonitor(paths: readonly string[], intervalSecs: number, env: () => Env, log: Logger): IntegrityMonitor {
  const hashAll = (): FileHashes => Object.fromEntries(paths.map((p) => [p, hashFile(p)]));
  const baseline = hashAll();
  const reported = new Map<string, Reason>();
  const check = async (): Promise<Reason[]> => {
    const fresh = checkIntegrity(baseline, hashAll()).filter((r) => reported.get(r.detail ?? '')?.rule !== r.rule);
    for (const r of fresh) {
      reported.set(r.detail ?? '', r);
      log.warn('integrity: a watched file changed', { rule: r.rule, detail: r.detail });
      const e = env();
      const payload = { kind: 'file', decision: 'review', score: r.weight, reasons: [`${r.guard}:${r.rule}`], detail: r.detail, ts: Date.now() };
      await Promise.all([
        // The registry's audit repo (and drizzle with it) is imported only once something changed.
        import('../src/storage/repos/audit.ts')
          .then(({ recordDecision }) => recordDecision(e.DB, { kind: 'file', decision: 'review', score: r.weight, reasons: payload.reasons, ...(r.detail ? { excerpt: r.detail } : {}) }))
          .catch(() => undefined),
        e.GATEWAY.getByName('main').broadcast('defender.decision', payload).catch(() => undefined),
      ]);
    }
    return fresh;
  };
  const timer = setInterval(() => void check(), intervalSecs * 1000);
  timer.unref();
  log.info('integrity baseline taken', { files: paths.length, missing: Object.values(baseline).filter((h) => h === null).length, intervalSecs });
  return {
    check,
    findings: () => [...reported.values()],
    stop: () => clearInterval(timer),
  };
}
