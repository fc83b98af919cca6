// `npm run bench:gateway`: the gateway's `health` RPC over 1 and 100 sockets (latency p50/p99, req/s) and its
// idle RSS holding 1,000 authenticated sockets, next to a bare `ws` echo server measured in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rssMb } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-token-0123456789abcdef';
const duration = process.argv.includes('--quick') ? '1' : '3';

function start(args) {
  const data = mkdtempSync(join(tmpdir(), 'edgeclaw-gwbench-'));
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', EDGECLAW_DATA_DIR: data, EDGECLAW_GATEWAY_TOKEN: TOKEN, EDGECLAW_GATEWAY_TICK_MS: '3600000' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"msg":"listening"[^\n]*"url":"([^"]+)"/.exec(out);
      if (m) resolve({ child, url: m[1].replace('http', 'ws') + '/', cleanup: () => rmSync(data, { recursive: true, force: true }) });
    });
    child.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
}

function load(url, args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(root, 'bench/gateway-load.mjs'), '--url', url, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ result: JSON.parse(out.split('\n')[0]), child: c });
    });
    c.on('exit', (code) => code && reject(new Error(`load exited ${code}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(name, args, auth) {
  const s = await start(args);
  const token = auth ? ['--token', TOKEN] : [];
  const one = (await load(s.url, [...token, '--sockets', '1', '--duration', duration])).result;
  const hundred = (await load(s.url, [...token, '--sockets', '100', '--duration', duration])).result;
  await sleep(500);
  const idle0 = rssMb(s.child.pid);
  const held = await load(s.url, [...token, '--sockets', '1000', '--hold']);
  await sleep(2000);
  const idle1000 = rssMb(s.child.pid);
  held.child.kill('SIGTERM');
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
  s.cleanup();
  return { name, one, hundred, idle0: +idle0.toFixed(1), idle1000: +idle1000.toFixed(1) };
}

const base = await measure('ws echo', ['bench/ws-echo-server.mjs'], false);
const gw = await measure('edgeclaw', ['dist/node/server.mjs'], true);
const r = (a, b) => (b ? (a / b).toFixed(2) : 'n/a');
console.log(`\ngateway bench (node ${process.versions.node}, ${duration}s per load)`);
console.log('target      1 sock rps  p50 ms  p99 ms | 100 sock rps  p50 ms  p99 ms | RSS idle MB  RSS 1000 sockets MB');
for (const t of [base, gw]) {
  console.log(`${t.name.padEnd(10)} ${String(t.one.rps).padStart(11)} ${String(t.one.p50).padStart(7)} ${String(t.one.p99).padStart(7)} | ${String(t.hundred.rps).padStart(12)} ${String(t.hundred.p50).padStart(7)} ${String(t.hundred.p99).padStart(7)} | ${String(t.idle0).padStart(11)} ${String(t.idle1000).padStart(20)}`);
}
console.log(`ratios edgeclaw/echo: 1-socket rps ${r(gw.one.rps, base.one.rps)}, p50 ${r(gw.one.p50, base.one.p50)}; 100-socket rps ${r(gw.hundred.rps, base.hundred.rps)}, p99 ${r(gw.hundred.p99, base.hundred.p99)}; RSS with 1000 sockets ${r(gw.idle1000, base.idle1000)} (per socket: edgeclaw ${(((gw.idle1000 - gw.idle0) * 1024) / 1000).toFixed(1)} KB, echo ${(((base.idle1000 - base.idle0) * 1024) / 1000).toFixed(1)} KB)`);
if (process.argv.includes('--json')) console.log(JSON.stringify({ base, gw }));
