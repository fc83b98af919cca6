// Load generator for the bench: N keep-alive connections hammering one URL; prints one JSON line (req/s, p50/p99 ms).
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '3' }, // seconds measured
    warmup: { type: 'string', default: '0.5' }, // seconds run first, not measured
  },
});
if (!opts.url) {
  console.error('usage: node bench/load.mjs --url http://127.0.0.1:PORT/healthz [--connections 32] [--duration 3]');
  process.exit(2);
}

const url = new URL(opts.url);
const connections = Number(opts.connections);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

function once() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
      res.on('error', () => resolve({ ok: false, ms: 0 }));
    });
    req.on('error', () => resolve({ ok: false, ms: 0 }));
  });
}

async function run(seconds, latencies) {
  const deadline = performance.now() + seconds * 1000;
  let ok = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const r = await once();
      if (r.ok) {
        ok++;
        latencies?.push(r.ms);
      } else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return { ok, errors, elapsed: (performance.now() - t0) / 1000 };
}

const percentile = (sorted, p) =>
  sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(3)) : null;

await run(Number(opts.warmup));
const latencies = [];
const { ok, errors, elapsed } = await run(Number(opts.duration), latencies);
latencies.sort((a, b) => a - b);
agent.destroy();
console.log(
  JSON.stringify({
    requests: ok,
    errors,
    seconds: Number(elapsed.toFixed(3)),
    rps: Math.round(ok / elapsed),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  }),
);
