// `npm run build`: the Worker bundle (wrangler dry-run, offline) into dist/worker and a self-contained
// Node server into dist/node/server.mjs (runs with plain `node dist/node/server.mjs`, no node_modules).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNodeBundle } from './node-bundle.mjs';
import { sourceHash } from './source-hash.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2]; // 'worker' | 'node' | undefined (both)
const ifStale = process.argv.includes('--if-stale');
// `--outdir DIR` writes a fresh Node bundle there instead of dist/node (the release stages one this way).
const outdirAt = process.argv.indexOf('--outdir');
const nodeOut = outdirAt > 0 ? resolve(process.argv[outdirAt + 1] ?? '') : join(root, 'dist/node');
/** Embedded in both bundles as __EDGECLAW_SOURCE_HASH__ (reported by `defender.attest`). */
const SOURCE_HASH = sourceHash(root);

/** Newest modification time (ms) of the files the Node bundle is made from. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['src', 'durable', 'node-adapter']) walk(join(root, dir));
  for (const file of ['package-lock.json', 'scripts/build.mjs', 'scripts/node-bundle.mjs']) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

function bundleIsFresh() {
  try {
    return statSync(join(root, 'dist/node/server.mjs')).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

if (!only || only === 'worker') {
  rmSync(join(root, 'dist/worker'), { recursive: true, force: true });
  const res = spawnSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', 'dist/worker', '--define', `__EDGECLAW_SOURCE_HASH__:"${SOURCE_HASH}"`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

if ((!only || only === 'node') && !(ifStale && outdirAt < 0 && bundleIsFresh())) {
  const result = await buildNodeBundle({ root, outdir: nodeOut, sourceHash: SOURCE_HASH, minify: process.env.EDGECLAW_NO_MINIFY !== '1' });
  // The whole dist/node folder is the deployable unit (entries + chunks/). Publish each file with a rename, so a server starting meanwhile never sees a missing or half-written bundle.
  mkdirSync(join(nodeOut, 'chunks'), { recursive: true });
  const outputs = [...result.outputFiles].sort((a, b) => (a.path.endsWith('.mjs') ? 1 : 0) - (b.path.endsWith('.mjs') ? 1 : 0));
  for (const file of outputs) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  // Old chunks no build references any more go after an hour (a server started from an older build may
  // still import its chunks lazily for a while).
  const current = new Set(outputs.map((f) => f.path));
  for (const name of readdirSync(join(nodeOut, 'chunks'))) {
    const path = join(nodeOut, 'chunks', name);
    if (!current.has(path) && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
  }
  const bytes = result.outputFiles.reduce((n, f) => n + f.contents.byteLength, 0);
  if (!ifStale) console.log(`${relative(root, nodeOut)}/{server,cli}.mjs built (${(bytes / 1024).toFixed(0)} KiB with map)`);
}
