// `npm run bench:sessions`: the scheduler through the real Node server. (1) enqueue→start and enqueue→final
// latency of chat.send with an instant fake provider, (2) sustained messages/s over SESSIONS sessions, (3) RSS
// and heap used after touching 10, 1,000, 5,000 and 10,000 distinct sessions (the plateau: objects are evicted).
// Knobs: N, SESSIONS, INFLIGHT, QMODE (per-request queueMode), MC (max concurrent), DB_MS (debounce),
// BASE=<server.mjs> + ROUNDS (before/after in one run, both phases), SKIP_RSS, SKIP_LAT, M (last checkpoint),
// GLIBC_TUNABLES (passed to the server, e.g. malloc settings), CPS (checkpoints, comma-separated), PAUSE_MS (idle pause before each reading), MAX_ACTIVE, RSS_SERVER,
// PROF=1 (cpu profiles), HEAPSNAP=<dir> (a heap snapshot after each checkpoint; compare two with
// `node scripts/heap-diff.mjs A B`: a snapshot collects garbage first, so it shows what stays reachable), LOGLVL=debug, TRACE=1.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cpuMs, pct, rssMb, startInstantProvider } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-token-0123456789abcdef';
const quick = process.argv.includes('--quick');

const fake = await startInstantProvider();
const fakeUrl = fake.url;

async function start(runner, server = 'dist/node/server.mjs', extraEnv = {}) {
  const data = mkdtempSync(join(tmpdir(), 'edgeclaw-sbench-'));
  const config = join(data, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ models: { default: 'fake/echo', providers: { fake: { baseUrl: fakeUrl, keyless: true } } }, queue: { cap: 1000 } }));
  const child = spawn(process.execPath, [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof3'] : []), ...(process.env.HEAPSNAP ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${process.env.HEAPSNAP}`] : []), server], {
    cwd: root,
    env: { PATH: process.env.PATH, ...(process.env.TRACE ? { TRACE: '1' } : {}), PORT: '0', EDGECLAW_DATA_DIR: join(data, 'data'), EDGECLAW_GATEWAY_TOKEN: TOKEN, EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: runner, EDGECLAW_LOG_LEVEL: process.env.LOGLVL ?? 'info', ...(process.env.MC ? { EDGECLAW_MAX_CONCURRENT: process.env.MC } : {}), ...(process.env.DB_MS ? { EDGECLAW_DEBOUNCE_MS: process.env.DB_MS } : {}), ...(process.env.MAX_ACTIVE ? { EDGECLAW_DO_MAX_ACTIVE: process.env.MAX_ACTIVE } : {}), ...(process.env.GLIBC_TUNABLES ? { GLIBC_TUNABLES: process.env.GLIBC_TUNABLES } : {}), ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (process.env.LOGLVL) child.stdout.on('data', (d) => process.stderr.write(d));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { child, url, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); rmSync(data, { recursive: true, force: true }); } };
}

function operator(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + '/');
    const waiters = new Map();
    const events = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.event === 'connect.challenge') ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token: TOKEN }, role: 'operator', scopes: ['operator.write'] } }));
      else if (f.id === 'c') resolve({ ws, waiters, events });
      else if (f.type === 'event') for (const [k, fn] of waiters) fn(f, k);
    });
    ws.on('error', reject);
  });
}


// (1) + (2): latency and throughput with the model runner. With BASE=<other server.mjs> the same phase
// runs against that bundle too, alternating ROUNDS times, so before/after figures come from one run.
const N = Number(process.env.N ?? (quick ? 100 : 400));
const SESSIONS = Number(process.env.SESSIONS ?? 20);
const INFLIGHT = Number(process.env.INFLIGHT ?? 40);

async function latency(server) {
  const s = await start(process.env.RUNNER ?? 'model', server);
  const op = await operator(s.url);
  const startLat = [];
  const finalLat = [];
  let done = 0;
  const t0 = performance.now();
  const cpu0 = cpuMs(s.child.pid);
  await new Promise((resolveAll) => {
    let next = 0;
    const inflight = new Map();
    const launch = () => {
      if (next >= N) return;
      const i = next++;
      const runId = `b-${i}`;
      inflight.set(runId, { t: performance.now(), started: false });
      op.ws.send(JSON.stringify({ type: 'req', id: `r${i}`, method: 'chat.send', params: { sessionKey: `agent:main:bench:${i % SESSIONS}`, message: `m${i}`, idempotencyKey: runId, ...(process.env.QMODE ? { queueMode: process.env.QMODE } : {}) } }));
    };
    op.waiters.set('all', (f) => {
      const rec = inflight.get(f.payload?.runId);
      if (!rec) return;
      if (f.event === 'agent' && f.payload.stream === 'lifecycle' && f.payload.data?.phase === 'start' && !rec.started) {
        rec.started = true;
        startLat.push(performance.now() - rec.t);
      }
      if (f.event === 'chat' && f.payload.state === 'final') {
        finalLat.push(performance.now() - rec.t);
        inflight.delete(f.payload.runId);
        if (++done === N) resolveAll();
        launch();
      }
    });
    for (let i = 0; i < INFLIGHT; i++) launch();
  });
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = (cpuMs(s.child.pid) - cpu0) / 1000 / seconds;
  op.ws.close();
  await s.stop();
  startLat.sort((a, b) => a - b);
  finalLat.sort((a, b) => a - b);
  return { cpuPerMsg: (serverCpu * seconds * 1000) / N, startP50: pct(startLat, 0.5), startP99: pct(startLat, 0.99), starts: startLat.length, finalP50: pct(finalLat, 0.5), finalP99: pct(finalLat, 0.99), rate: N / seconds, cpu: serverCpu };
}

const fmt = (x) => `enqueue→start p50 ${x.startP50} ms, p99 ${x.startP99} ms (n=${x.starts}); enqueue→final p50 ${x.finalP50} ms, p99 ${x.finalP99} ms; ${x.rate.toFixed(0)} msg/s; server CPU ${(x.cpu * 100).toFixed(0)}% (${x.cpuPerMsg.toFixed(1)} ms/msg)`;
const median = (xs) => { const a = [...xs].sort((x, y) => x - y); const m = a.length >> 1; return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2; };
console.log(`\nsessions bench (node ${process.versions.node}): ${N} chat.send over ${SESSIONS} sessions, ${INFLIGHT} in flight, instant fake provider`);
const current = [];
const base = [];
for (let round = 0; round < (process.env.SKIP_LAT ? 0 : Number(process.env.ROUNDS ?? 1)); round++) {
  if (process.env.BASE) {
    base.push(await latency(process.env.BASE));
    console.log(`  base    ${fmt(base.at(-1))}`);
  }
  current.push(await latency('dist/node/server.mjs'));
  console.log(`  current ${fmt(current.at(-1))}`);
}
if (base.length > 0) {
  const ratio = (k) => (median(current.map((x) => x[k])) / median(base.map((x) => x[k]))).toFixed(2);
  console.log(`current/base (medians over ${base.length} alternating rounds): msg/s ×${ratio('rate')}, server CPU per msg ×${ratio('cpuPerMsg')}, start p50 ×${ratio('startP50')}, final p50 ×${ratio('finalP50')}, final p99 ×${ratio('finalP99')}`);
}

// (3): memory plateau (record runner: only the scheduler and the DO host). RSS and V8 heap used after touching
// 10, 1,000, 5,000 and 10,000 distinct sessions (CPS), each read after an idle pause (PAUSE_MS) so the figures
// are what the process settles at, not a burst's garbage. Heap figures come from the server's own memory sampler
// (`/metrics`, sampled every second here), never from a forced GC. With BASE set, the same walk runs against
// that bundle first. The host's registries (`edgeclaw_host_registry_entries`) show residency stays at its cap.
if (process.env.SKIP_RSS) {
  fake.close();
  process.exit(0);
}
const CPS = (process.env.CPS ?? (quick ? '10,500,1000,2000' : `10,1000,5000,${process.env.M ?? 10_000}`)).split(',').map(Number);
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 5_000);

/** Writes a heap snapshot of the server (SIGUSR2, HEAPSNAP=<dir>) and waits until the file is complete. */
async function heapSnapshot(child) {
  const count = () => readdirSync(process.env.HEAPSNAP).filter((f) => f.endsWith('.heapsnapshot')).length;
  const before = count();
  child.kill('SIGUSR2');
  while (count() === before) await new Promise((res) => setTimeout(res, 200));
  let size = -1;
  for (;;) {
    await new Promise((res) => setTimeout(res, 1_000));
    const f = readdirSync(process.env.HEAPSNAP).filter((n) => n.endsWith('.heapsnapshot')).sort().at(-1);
    const now = statSync(join(process.env.HEAPSNAP, f)).size;
    if (now === size) return;
    size = now;
  }
}

async function plateau(server) {
  const r = await start('record', server, { EDGECLAW_MEMORY_SAMPLE_SECS: '1' });
  const post = (key) => fetch(`${r.url}/sessions/${key}/queue`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"text":"hi"}' }).then((res) => res.arrayBuffer());
  const metrics = async () => {
    const t = await (await fetch(`${r.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const g = (re) => Number(re.exec(t)?.[1] ?? NaN);
    return { heapUsed: g(/^edgeclaw_process_heap_used_bytes (\S+)/m) / 1048576, resident: g(/^edgeclaw_host_registry_entries\{registry="do\.resident"\} (\S+)/m) };
  };
  const points = [];
  let i = 0;
  for (const cp of CPS) {
    const t0 = performance.now();
    for (; i < cp; i += 50) await Promise.all(Array.from({ length: Math.min(50, cp - i) }, (_, j) => post(`agent:main:rss:${i + j}`)));
    const touchMs = performance.now() - t0;
    await new Promise((res) => setTimeout(res, PAUSE_MS));
    const m = await metrics();
    const resident = rssMb(r.child.pid);
    // After the reading: writing a snapshot collects garbage and grows the process for a while.
    if (process.env.HEAPSNAP) await heapSnapshot(r.child);
    points.push({ sessions: cp, rss: resident, heapUsed: m.heapUsed, resident: m.resident, touchMs });
    const p = points.at(-1);
    console.log(`  ${server === process.env.BASE ? 'base   ' : 'current'} ${String(cp).padStart(6)} sessions: RSS ${p.rss.toFixed(1)} MB, heap used ${p.heapUsed.toFixed(1)} MB, resident objects ${Number.isNaN(p.resident) ? 'n/a' : p.resident}`);
  }
  await r.stop();
  const at = (n) => points.find((p) => p.sessions === n);
  const last = points.at(-1);
  const ratio = (a, k) => (a ? (last[k] / a[k]).toFixed(2) : 'n/a');
  console.log(`  ${server === process.env.BASE ? 'base   ' : 'current'} ratios: RSS ${last.sessions}/10 ×${ratio(at(10), 'rss')}, ${last.sessions}/1000 ×${ratio(at(1000), 'rss')}; heap used ${last.sessions}/10 ×${ratio(at(10), 'heapUsed')}, ${last.sessions}/1000 ×${ratio(at(1000), 'heapUsed')}`);
  return points;
}

console.log(`\nmemory plateau: sessions touched ${CPS.join(', ')}, ${PAUSE_MS} ms idle pause before each reading`);
if (process.env.BASE) await plateau(process.env.BASE);
await plateau(process.env.RSS_SERVER ?? 'dist/node/server.mjs');
fake.close();
