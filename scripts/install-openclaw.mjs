// Installs the pinned official openclaw CLI into a cache outside the repo (for `npm run test:compat`).
// Prints the path of openclaw.mjs. Re-running is a no-op once installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The client version edgeclaw is checked against (../shared/reference/openclaw-protocol.md §0). */
export const OPENCLAW_VERSION = '2026.9.6';

/** Where the CLI lives (override with EDGECLAW_COMPAT_CACHE). */
export function openclawDir() {
  const base = process.env.EDGECLAW_COMPAT_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgeclaw-compat');
  return join(base, `openclaw-${OPENCLAW_VERSION}`);
}

/** Installs if needed; returns the path of openclaw.mjs. */
export function ensureOpenclaw() {
  const dir = openclawDir();
  const entry = join(dir, 'node_modules', 'openclaw', 'openclaw.mjs');
  if (existsSync(entry)) return entry;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'edgeclaw-compat-cache', private: true }));
  // npm may be running on an older Node; the install itself needs no scripts.
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', `openclaw@${OPENCLAW_VERSION}`], { cwd: dir, stdio: 'inherit' });
  if (!existsSync(entry)) throw new Error(`openclaw install finished but ${entry} is missing`);
  return entry;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(ensureOpenclaw());
