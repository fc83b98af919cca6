// runtime.memorySampleSecs on Node: a bounded ring of RSS/heap samples, shown by `status` and as gauges in
// /metrics; 0 turns sampling off and the gauges disappear.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostMetrics } from '../../node-adapter/host-metrics.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { parsePrometheusText } from '../core/prom-text.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.child.kill('SIGTERM');
    await s.exited;
  }
  dir.cleanup();
});

const usage = (rss: number): NodeJS.MemoryUsage => ({ rss, heapUsed: rss / 4, heapTotal: rss / 2, external: 1, arrayBuffers: 0 });

async function rpc(server: ServerProcess, method: string, params: unknown = {}) {
  const res = await fetch(`${server.url}/rpc`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'req', id: '1', method, params }),
  });
  const frame = (await res.json()) as { ok: boolean; payload?: Record<string, unknown>; error?: unknown };
  expect(frame.ok, JSON.stringify(frame.error)).toBe(true);
  return frame.payload!;
}

interface Memory {
  sampleSecs: number;
  latest: { rssBytes: number; heapUsedBytes: number; sampledAt: number } | null;
  peakRssBytes: number | null;
  samples: { rssBytes: number }[];
}

describe('memory sampler', () => {
  it('keeps at most `cap` samples and drops the oldest first', () => {
    let rss = 0;
    let t = 0;
    const m = createHostMetrics({ memorySampleSecs: 30, cap: 3, now: () => ++t, read: () => usage((rss += 100)) });
    for (let i = 0; i < 5; i++) m.sample();
    expect(m.memorySamples().map((s) => s.rssBytes)).toEqual([300, 400, 500]);
    expect(m.memory()).toMatchObject({ rssBytes: 500, heapUsedBytes: 125, sampledAt: 5 });
  });

  it('takes no samples and starts no timer when the interval is 0', () => {
    const m = createHostMetrics({ memorySampleSecs: 0, read: () => usage(1) });
    m.start();
    expect(m.memory()).toBeNull();
    expect(m.memorySamples()).toEqual([]);
    m.stop();
  });
});

describe('runtime.memorySampleSecs on the Node server', () => {
  it('shows RSS/heap samples in status and as Prometheus gauges', async () => {
    const server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'on'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_MEMORY_SAMPLE_SECS: '1' });
    servers.push(server);
    const first = (await rpc(server, 'status')).memory as Memory;
    expect(first.sampleSecs).toBe(1);
    expect(first.latest!.rssBytes).toBeGreaterThan(1e6);
    expect(first.latest!.heapUsedBytes).toBeGreaterThan(0);
    // The timer keeps sampling: wait for a second sample (the first is taken at start-up).
    let memory = first;
    while (memory.samples.length < 2) {
      await new Promise((r) => setTimeout(r, 200));
      memory = (await rpc(server, 'status')).memory as Memory;
    }
    expect(memory.latest!.sampledAt).toBeGreaterThan(first.latest!.sampledAt);
    expect(memory.peakRssBytes).toBe(Math.max(...memory.samples.map((s) => s.rssBytes)));

    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const families = parsePrometheusText(await res.text());
    expect(families.get('edgeclaw_process_resident_memory_bytes')).toMatchObject({ type: 'gauge' });
    expect(families.get('edgeclaw_process_resident_memory_bytes')!.samples[0]!.value).toBeGreaterThan(1e6);
    expect(families.get('edgeclaw_process_resident_memory_peak_bytes')!.samples[0]!.value).toBeGreaterThanOrEqual(families.get('edgeclaw_process_resident_memory_bytes')!.samples[0]!.value);
    expect(families.get('edgeclaw_memory_sample_interval_seconds')!.samples[0]!.value).toBe(1);
  });

  it('with 0, status reports sampling off and /metrics has no memory gauges', async () => {
    const server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'off'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_MEMORY_SAMPLE_SECS: '0' });
    servers.push(server);
    expect((await rpc(server, 'status')).memory).toEqual({ sampleSecs: 0, latest: null, peakRssBytes: null, samples: [] });
    const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
    expect(parsePrometheusText(text).has('edgeclaw_process_resident_memory_bytes')).toBe(false);
    expect(parsePrometheusText(text).has('edgeclaw_http_requests_total')).toBe(true);
  });

  it('rejects a negative interval at start-up with exit 2, naming the key', async () => {
    const { runServer } = await import('./server-process.ts');
    const bad = runServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'bad'), EDGECLAW_MEMORY_SAMPLE_SECS: '-1' });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('runtime.memorySampleSecs (env EDGECLAW_MEMORY_SAMPLE_SECS) = "-1": expected an integer between 0 and 86400');
  });
});
