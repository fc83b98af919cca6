// Bench harness: cold start, idle RSS and req/s of the edgeclaw Node server vs a bare Hono + ws baseline.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    targets: { type: 'string' }, // comma list: baseline,edgeclaw,source
    // Another build of the server (e.g. main's bundle built with `node scripts/build.mjs node --outdir DIR`),
    // benched as target "compare" in the same rounds: before/after on a shared, noisy machine.
    compare: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Number(opts.rounds);
const START_TIMEOUT_MS = 30_000;
const IDLE_MS = 2_000;
const BARS = { start: 3, rss: 1.25, rps: 0.8 };

const ALL_TARGETS = [
  { name: 'baseline', entry: 'bench/baseline-server.mjs', args: ['bench/baseline-server.mjs'], ready: '/healthz' },
  // What `npm start` runs (the bundle; `npm run bench` rebuilds it first when stale).
  { name: 'edgeclaw', entry: 'dist/node/server.mjs', args: ['dist/node/server.mjs'], ready: '/readyz' },
  // Unbundled source through the module hook; opt in with --targets baseline,edgeclaw,source.
  {
    name: 'source',
    optIn: true,
    entry: 'node-adapter/main.ts',
    args: ['--disable-warning=ExperimentalWarning', '--import', './node-adapter/register.mjs', 'node-adapter/main.ts'],
    ready: '/readyz',
  },
];

if (opts.compare) {
  const entry = resolve(opts.compare.endsWith('.mjs') ? opts.compare : join(opts.compare, 'server.mjs'));
  ALL_TARGETS.push({ name: 'compare', entry, args: [entry], ready: '/readyz' });
}

const log = (msg) => process.stderr.write(`${msg}\n`);
const wanted = opts.targets?.split(',').map((s) => s.trim());
const targets = [];
for (const t of ALL_TARGETS) {
  if (wanted ? !wanted.includes(t.name) && t.name !== 'compare' : t.optIn) continue;
  if (!existsSync(resolve(root, t.entry))) log(`note: skipping ${t.name}: ${t.entry} not found`);
  else targets.push(t);
}
if (!targets.length) {
  log('no targets to bench');
  process.exit(0);
}

const live = new Set(); // children and temp dirs to clean up if we die early
const liveDirs = new Set();
process.on('exit', () => {
  live.forEach((c) => c.kill('SIGKILL'));
  liveDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
process.on('SIGINT', () => process.exit(130));

function readRssKb(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : null;
}

async function ok200(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      done();
    });
    child.kill('SIGTERM');
  });
}

function runLoad(url) {
  return new Promise((done, fail) => {
    const args = [join(root, 'bench/load.mjs'), '--url', url, '--duration', opts.duration, '--connections', opts.connections];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out)) : fail(new Error(`load.mjs exited ${code}`))));
  });
}

async function benchOnce(target) {
  const dataDir = mkdtempSync(join(tmpdir(), `edgeclaw-bench-${target.name}-`));
  liveDirs.add(dataDir);
  const env = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    EDGECLAW_DATA_DIR: dataDir,
    EDGECLAW_GATEWAY_TOKEN: randomBytes(24).toString('hex'),
  };
  const t0 = performance.now();
  // Spawn the node binary itself so child.pid is the server whose RSS we read.
  const child = spawn(process.execPath, target.args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let url = null;
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (url) return; // keep draining so the server never blocks on a full pipe
    try {
      const rec = JSON.parse(line);
      if (rec.msg === 'listening' && rec.url) url = rec.url;
    } catch {}
  });
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  try {
    let startMs = null;
    while (startMs === null) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}\n${stderr}`.trim());
      if (performance.now() - t0 > START_TIMEOUT_MS) throw new Error(`not ready after ${START_TIMEOUT_MS} ms\n${stderr}`.trim());
      if (url && (await ok200(url + target.ready))) startMs = Math.round((performance.now() - t0) * 100) / 100;
      else await sleep(5);
    }
    await sleep(IDLE_MS);
    const rssKb = readRssKb(child.pid);
    const load = await runLoad(`${url}/healthz`);
    const rssAfterLoadKb = readRssKb(child.pid);
    return { startMs, rssKb, rssAfterLoadKb, ...load };
  } finally {
    await stopChild(child);
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
    liveDirs.delete(dataDir);
  }
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

await ok200('http://127.0.0.1:1/'); // load fetch/undici now (~80 ms) so it does not skew the first cold start

// Alternate targets within each round, rotating who goes first.
const samples = Object.fromEntries(targets.map((t) => [t.name, []]));
const errors = Object.fromEntries(targets.map((t) => [t.name, []]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[(r + i) % targets.length];
    try {
      const s = await benchOnce(t);
      samples[t.name].push(s);
      log(`round ${r + 1}/${rounds} ${t.name}: start ${s.startMs.toFixed(1)} ms, rss ${(s.rssKb / 1024).toFixed(1)} MB, ${s.rps} req/s`);
    } catch (err) {
      errors[t.name].push(err.message);
      log(`round ${r + 1}/${rounds} ${t.name}: ERROR ${err.message}`);
    }
  }
}

const medians = {};
for (const t of targets) {
  const s = samples[t.name];
  medians[t.name] = s.length
    ? Object.fromEntries(['startMs', 'rssKb', 'rssAfterLoadKb', 'rps', 'p50', 'p99', 'errors'].map((k) => [k, median(s.map((x) => x[k]))]))
    : null;
}

const base = medians.baseline;
const comparisons = {};
for (const t of targets) {
  const m = medians[t.name];
  if (t.name === 'baseline' || !m || !base) continue;
  const ratios = { start: m.startMs / base.startMs, rss: m.rssKb / base.rssKb, rps: m.rps / base.rps };
  comparisons[t.name] = {
    ratios,
    bars: {
      start: ratios.start <= BARS.start ? 'PASS' : 'MISS',
      rss: ratios.rss <= BARS.rss ? 'PASS' : 'MISS',
      rps: ratios.rps >= BARS.rps ? 'PASS' : 'MISS',
    },
  };
}

if (opts.json) {
  const config = { rounds, duration: Number(opts.duration), connections: Number(opts.connections), node: process.version, bars: BARS };
  console.log(JSON.stringify({ config, medians, comparisons, samples, errors }, null, 2));
  process.exit(0);
}

const fmt = (v, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));
const rows = [['target', 'start ms', 'idle RSS MB', 'RSS after load MB', 'req/s', 'p50 ms', 'p99 ms', 'start ×', 'RSS ×', 'req/s %']];
for (const t of targets) {
  const m = medians[t.name];
  const c = comparisons[t.name]?.ratios;
  if (!m) {
    rows.push([t.name, 'failed', '', '', '', '', '', '', '', '']);
    continue;
  }
  rows.push([
    t.name, fmt(m.startMs), fmt(m.rssKb / 1024), fmt(m.rssAfterLoadKb / 1024), fmt(m.rps, 0), fmt(m.p50, 2), fmt(m.p99, 2),
    c ? fmt(c.start, 2) : '', c ? fmt(c.rss, 2) : '', c ? fmt(c.rps * 100, 0) : '',
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`\nmedians of ${rounds} rounds, ${opts.duration}s x ${opts.connections} connections, node ${process.version}`);
for (const r of rows) console.log(r.map((v, i) => (i ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  '));
for (const [name, c] of Object.entries(comparisons)) {
  console.log(
    `${name}: start ${fmt(c.ratios.start, 2)}× (≤ ${BARS.start}×) ${c.bars.start}, ` +
      `RSS ${fmt(c.ratios.rss, 2)}× (≤ ${BARS.rss}×) ${c.bars.rss}, ` +
      `req/s ${fmt(c.ratios.rps * 100, 0)}% (≥ ${BARS.rps * 100}%) ${c.bars.rps}`,
  );
}
for (const [name, m] of Object.entries(medians)) {
  if (m?.errors) console.log(`${name}: median ${m.errors} failed/non-200 requests per load run (not counted in req/s)`);
}
for (const [name, errs] of Object.entries(errors)) if (errs.length) console.log(`${name}: ${errs.length} failed round(s): ${errs[0].split('\n')[0]}`);
process.exit(0);
