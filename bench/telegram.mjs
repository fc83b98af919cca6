// `npm run bench:telegram`: the Telegram webhook through the built Node server (dist/node/server.mjs) with
// the fake Bot API (test/fakes/telegram.ts on a real socket) and an instant fake provider, next to a bare
// Hono route that answers 200 (bench/baseline-server.mjs) measured in the same run:
// (1) webhook ack latency p50/p99 (sequential POSTs), (2) sustained updates/s acknowledged with 16 in
// flight, and replies/s delivered end to end (update → session → agent → sendMessage at the fake).
// `--quick` shrinks the counts. A run takes well under a minute.
// BASE=<other dist/node/server.mjs> or BASE=<git ref> (e.g. `BASE=main`: that commit is built into a temp
// dir) measures a baseline bundle next to the current one in the same run, alternating ROUNDS times (default
// 1); each figure is a ratio to the bare Hono route measured in the same round. PROF=1 writes CPU profiles
// of the edgeclaw servers to $TMPDIR/edgeclaw-tgbench-prof (readable after `EDGECLAW_NO_MINIFY=1 npm run build`).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createFakeTelegram } from '../test/fakes/telegram.ts';
import { cpuMs, pct, startInstantProvider } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const LAT_N = quick ? 100 : 200;
const LOAD_N = quick ? 200 : 500;
const INFLIGHT = 16;
const USERS = 100;
const SECRET = 'bench_secret_0123456789';

const provider = await startInstantProvider();

const tg = createFakeTelegram();
const tgServer = serve({ fetch: tg.app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise((r) => tgServer.once('listening', r));
const tgUrl = `http://127.0.0.1:${tgServer.address().port}`;

const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 1));
const PROF_DIR = process.env.PROF === '1' ? join(tmpdir(), 'edgeclaw-tgbench-prof') : null;

/** The baseline bundle: a path to a server.mjs, or a git ref built into a temp dir (removed at exit). */
function baseBundle(spec) {
  if (!spec) return null;
  if (spec.endsWith('.mjs')) return { script: spec, label: spec, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'edgeclaw-tgbench-base-'));
  execFileSync('sh', ['-c', `git -C "${root}" archive "${spec}" | tar -x -C "${dir}"`], { stdio: 'inherit' });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, ['scripts/build.mjs', 'node'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return { script: join(dir, 'dist/node/server.mjs'), label: `${spec} (${execFileSync('git', ['-C', root, 'rev-parse', '--short', spec]).toString().trim()})`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Spawns a server script and resolves its URL from the `listening` log line. */
function spawnServer(script, env) {
  const prof = PROF_DIR && script.endsWith('server.mjs') ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [];
  if (prof.length) mkdirSync(PROF_DIR, { recursive: true });
  const child = spawn(process.execPath, [...prof, script], { cwd: root, env: { PATH: process.env.PATH, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /"msg":"listening"[^\n]*"url":"([^"]+)"|"url":"([^"]+)"[^\n]*"msg":"listening"/.exec(out);
      if (!m) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining the server's log lines
      resolve({ child, url: m[1] ?? m[2] });
    };
    child.stdout.on('data', onData);
    child.on('exit', (c) => reject(new Error(`${script} exited ${c}`)));
  });
}
const stop = async (s) => {
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
};

let nextUpdate = 1;
const update = (i) => ({
  update_id: nextUpdate++,
  message: { message_id: i + 1, date: 1_700_000_000, chat: { id: 10_000 + (i % USERS), type: 'private' }, from: { id: 10_000 + (i % USERS), is_bot: false, first_name: 'B' }, text: `m${i}` },
});
const post = (url, i) =>
  fetch(`${url}/telegram/default/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update(i)) }).then(async (r) => {
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`webhook answered ${r.status}`);
  });

async function latency(url, n, offset) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await post(url, offset + i);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

async function load(url, n, offset) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (next < n) await post(url, offset + next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** The bare Hono route: latency (after a warm-up) and the time to acknowledge LOAD_N updates. */
async function measureBare() {
  const base = await spawnServer('bench/baseline-server.mjs', {});
  await latency(base.url, 50, 0);
  const lat = await latency(base.url, LAT_N, 0);
  const secs = await load(base.url, LOAD_N, 0);
  await stop(base);
  return { lat, secs };
}

let botSeq = 0;
/** One edgeclaw bundle: ack latency, acknowledged updates/s, and replies/s end to end (its own bot and data dir). */
async function measureEdge(script) {
  const token = tg.addBot(999_001 + botSeq++, 'bench_bot');
  const replies = () => tg.sent(token).length;
  const data = mkdtempSync(join(tmpdir(), 'edgeclaw-tgbench-'));
  const config = join(data, 'edgeclaw.json5');
  writeFileSync(
    config,
    JSON.stringify({
      models: { default: 'fake/echo', providers: { fake: { baseUrl: provider.url, keyless: true } } },
      queue: { cap: 1000, mode: 'followup' },
      channels: { telegram: { accounts: [{ id: 'default', token, transport: 'webhook', webhookSecret: SECRET, apiRoot: tgUrl, dmPolicy: 'open', botUsername: 'bench_bot' }] } },
    }),
  );
  const edge = await spawnServer(script, { EDGECLAW_DATA_DIR: join(data, 'data'), EDGECLAW_GATEWAY_TOKEN: 'bench-token-0123456789abcdef', EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: 'model' });
  const waitReplies = async (n, what) => {
    const until = Date.now() + 60_000;
    while (replies() < n) {
      if (Date.now() > until) throw new Error(`only ${replies()} of ${n} replies for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await latency(edge.url, 50, 0);
  await waitReplies(50, 'warm-up');
  const lat = await latency(edge.url, LAT_N, 50);
  await waitReplies(50 + LAT_N, 'the latency phase');
  const before = replies();
  const t0 = performance.now();
  const secs = await load(edge.url, LOAD_N, 50 + LAT_N);
  await waitReplies(before + LOAD_N, 'the load phase');
  const e2eSecs = (performance.now() - t0) / 1000;
  const cpu = cpuMs(edge.child.pid);
  await stop(edge);
  rmSync(data, { recursive: true, force: true });
  return { lat, secs, e2eSecs, cpuMs: cpu, dup: replies() - (50 + LAT_N + LOAD_N) };
}

function report(label, e, b) {
  console.log(`${label}`);
  console.log(`  ack latency  edgeclaw p50 ${pct(e.lat, 0.5)} ms, p99 ${pct(e.lat, 0.99)} ms | bare Hono p50 ${pct(b.lat, 0.5)} ms, p99 ${pct(b.lat, 0.99)} ms | ratio p50 ${(pct(e.lat, 0.5) / pct(b.lat, 0.5)).toFixed(1)}x, p99 ${(pct(e.lat, 0.99) / pct(b.lat, 0.99)).toFixed(1)}x (n=${LAT_N})`);
  console.log(`  acked        edgeclaw ${(LOAD_N / e.secs).toFixed(0)} updates/s | bare Hono ${(LOAD_N / b.secs).toFixed(0)} updates/s | ratio ${(b.secs / e.secs).toFixed(2)} (n=${LOAD_N})`);
  console.log(`  end to end   ${(LOAD_N / e.e2eSecs).toFixed(0)} replies/s delivered (webhook → session → agent → sendMessage), duplicates ${e.dup}`);
  if (e.cpuMs !== null) console.log(`  server CPU   ${(e.cpuMs / (50 + LAT_N + LOAD_N)).toFixed(2)} ms per update, everything included (less sensitive to other load than the timings)`);
}

const baseline = baseBundle(process.env.BASE);
try {
  console.log(`\ntelegram webhook bench (node ${process.versions.node}, ${USERS} chats, ${INFLIGHT} in flight${baseline ? `, ${ROUNDS} round(s), baseline ${baseline.label}` : ''})`);
  for (let round = 1; round <= ROUNDS; round++) {
    // Each bundle is compared with a bare route measured right before it (the machine's load drifts).
    if (baseline) report(`baseline${ROUNDS > 1 ? ` (round ${round})` : ''}`, await measureEdge(baseline.script), await measureBare());
    report(`current${ROUNDS > 1 ? ` (round ${round})` : ''}`, await measureEdge('dist/node/server.mjs'), await measureBare());
  }
} finally {
  baseline?.cleanup();
  provider.close();
  tgServer.close();
}
