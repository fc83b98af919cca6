// `npm run bench:telegram`: the Telegram webhook through the built Node server (dist/node/server.mjs) with
// the fake Bot API (test/fakes/telegram.ts on a real socket) and an instant fake provider, next to a bare
// Hono route that answers 200 (bench/baseline-server.mjs) measured in the same run:
// (1) webhook ack latency p50/p99 (sequential POSTs), (2) sustained updates/s acknowledged with 16 in
// flight, and replies/s delivered end to end (update → session → agent → sendMessage at the fake).
// `--quick` shrinks the counts. A run takes well under a minute.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createFakeTelegram } from '../test/fakes/telegram.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const LAT_N = quick ? 100 : 200;
const LOAD_N = quick ? 200 : 500;
const INFLIGHT = 16;
const USERS = 100;
const SECRET = 'bench_secret_0123456789';

// An instant OpenAI-compatible fake: one SSE chunk with the echo, then [DONE].
const provider = serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: async (req) => {
    const body = await req.json();
    const last = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const chunk = (d, f = null) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'fake', choices: [{ index: 0, delta: d, finish_reason: f }] })}\n\n`;
    return new Response(chunk({ role: 'assistant', content: `echo: ${last}` }) + chunk({}, 'stop') + 'data: [DONE]\n\n', { headers: { 'content-type': 'text/event-stream' } });
  },
});
await new Promise((r) => provider.once('listening', r));

const tg = createFakeTelegram();
const token = tg.addBot(999001, 'bench_bot');
const tgServer = serve({ fetch: tg.app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise((r) => tgServer.once('listening', r));
const tgUrl = `http://127.0.0.1:${tgServer.address().port}`;

/** Spawns a server script and resolves its URL from the `listening` log line. */
function spawnServer(script, env) {
  const child = spawn(process.execPath, [script], { cwd: root, env: { PATH: process.env.PATH, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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

const pct = (a, p) => +a[Math.min(a.length - 1, Math.floor(a.length * p))].toFixed(2);
const replies = () => tg.sent(token).length;

// The bare route first (warm-up included), then edgeclaw.
const base = await spawnServer('bench/baseline-server.mjs', {});
await latency(base.url, 50, 0);
const baseLat = await latency(base.url, LAT_N, 0);
const baseSecs = await load(base.url, LOAD_N, 0);
await stop(base);

const data = mkdtempSync(join(tmpdir(), 'edgeclaw-tgbench-'));
const config = join(data, 'edgeclaw.json5');
writeFileSync(
  config,
  JSON.stringify({
    models: { default: 'fake/echo', providers: { fake: { baseUrl: `http://127.0.0.1:${provider.address().port}/v1`, keyless: true } } },
    queue: { cap: 1000, mode: 'followup' },
    channels: { telegram: { accounts: [{ id: 'default', token, transport: 'webhook', webhookSecret: SECRET, apiRoot: tgUrl, dmPolicy: 'open', botUsername: 'bench_bot' }] } },
  }),
);
const edge = await spawnServer('dist/node/server.mjs', { EDGECLAW_DATA_DIR: join(data, 'data'), EDGECLAW_GATEWAY_TOKEN: 'bench-token-0123456789abcdef', EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: 'model' });
const waitReplies = async (n, what) => {
  const until = Date.now() + 60_000;
  while (replies() < n) {
    if (Date.now() > until) throw new Error(`only ${replies()} of ${n} replies for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
await latency(edge.url, 50, 0);
await waitReplies(50, 'warm-up');
const edgeLat = await latency(edge.url, LAT_N, 50);
await waitReplies(50 + LAT_N, 'the latency phase');
const before = replies();
const t0 = performance.now();
const edgeSecs = await load(edge.url, LOAD_N, 50 + LAT_N);
await waitReplies(before + LOAD_N, 'the load phase');
const e2eSecs = (performance.now() - t0) / 1000;
await stop(edge);
rmSync(data, { recursive: true, force: true });
provider.close();
tgServer.close();

const dup = tg.sent(token).length - (50 + LAT_N + LOAD_N);
console.log(`\ntelegram webhook bench (node ${process.versions.node}, ${USERS} chats, ${INFLIGHT} in flight)`);
console.log(`ack latency  edgeclaw p50 ${pct(edgeLat, 0.5)} ms, p99 ${pct(edgeLat, 0.99)} ms | bare Hono p50 ${pct(baseLat, 0.5)} ms, p99 ${pct(baseLat, 0.99)} ms | ratio p50 ${(pct(edgeLat, 0.5) / pct(baseLat, 0.5)).toFixed(1)}x, p99 ${(pct(edgeLat, 0.99) / pct(baseLat, 0.99)).toFixed(1)}x (n=${LAT_N})`);
console.log(`acked        edgeclaw ${(LOAD_N / edgeSecs).toFixed(0)} updates/s | bare Hono ${(LOAD_N / baseSecs).toFixed(0)} updates/s | ratio ${(baseSecs / edgeSecs).toFixed(2)} (n=${LOAD_N})`);
console.log(`end to end   ${(LOAD_N / e2eSecs).toFixed(0)} replies/s delivered (webhook → session → agent → sendMessage), duplicates ${dup}`);
