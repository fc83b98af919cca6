// Client side of bench/gateway.mjs: opens N sockets (handshaking when --token is given), then runs closed-loop
// `health` requests on each for --duration seconds, or just holds them open (--hold). Prints one JSON line.
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: o } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    sockets: { type: 'string', default: '1' },
    duration: { type: 'string', default: '3' },
    hold: { type: 'boolean', default: false },
  },
});
const n = Number(o.sockets);

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.url, { perMessageDeflate: false });
    const pending = new Map();
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.event === 'connect.challenge') {
        ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token: o.token }, role: 'operator', scopes: ['operator.read'] } }));
      } else if (f.type === 'res' && f.id === 'c') {
        f.ok ? resolve({ ws, pending }) : reject(new Error(JSON.stringify(f.error)));
      } else if (f.type === 'res') {
        pending.get(f.id)?.(f);
        pending.delete(f.id);
      }
    });
    ws.on('error', reject);
    if (!o.token) ws.on('open', () => resolve({ ws, pending }));
  });
}

const conns = [];
for (let i = 0; i < n; i += 50) conns.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, open))));

if (o.hold) {
  console.log(JSON.stringify({ open: conns.length }));
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => {}, 1 << 30);
} else {
  const lat = [];
  let seq = 0;
  const end = performance.now() + Number(o.duration) * 1000;
  await Promise.all(
    conns.map(async ({ ws, pending }) => {
      while (performance.now() < end) {
        const id = String(++seq);
        const t0 = performance.now();
        await new Promise((r) => {
          pending.set(id, r);
          ws.send(JSON.stringify({ type: 'req', id, method: 'health', params: {} }));
        });
        lat.push(performance.now() - t0);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  console.log(JSON.stringify({ requests: lat.length, rps: Math.round(lat.length / Number(o.duration)), p50: +q(0.5).toFixed(3), p99: +q(0.99).toFixed(3) }));
  for (const { ws } of conns) ws.close();
  process.exit(0);
}
