// GET /metrics on the real Node server: admin bearer auth, Prometheus text format, counters and memory gauges.
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_TOKEN, TEST_CREDENTIALS, TEST_TOKEN } from '../contract/constants.ts';
import { writeFileSync } from 'node:fs';
import { parsePrometheusText } from '../core/prom-text.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;
const scrape = (token?: string) => fetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

beforeAll(async () => {
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ gateway: { credentials: JSON.parse(TEST_CREDENTIALS) } }));
  server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config });
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

describe('GET /metrics', () => {
  it('refuses requests without the admin token', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape(READ_TOKEN)).status).toBe(401);
  });

  it('serves Prometheus text that a strict parser accepts, with request and connection counters and memory', async () => {
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/no-such-route`);
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/');
    await new Promise((resolve, reject) => (ws.once('message', resolve), ws.once('error', reject)));
    ws.close();
    const res = await scrape(TEST_TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(await res.text());
    const http = families.get('edgeclaw_http_requests_total')!;
    expect(http.type).toBe('counter');
    expect(http.samples).toContainEqual({ labels: { route: '/healthz', class: '2xx' }, value: expect.any(Number) });
    expect(http.samples).toContainEqual({ labels: { route: 'other', class: '4xx' }, value: expect.any(Number) });
    expect(http.samples.find((s) => s.labels.route === '/metrics' && s.labels.class === '4xx')!.value).toBeGreaterThanOrEqual(2);
    expect(families.get('edgeclaw_gateway_connections_total')!.samples[0]!.value).toBeGreaterThanOrEqual(1);
    expect(families.get('edgeclaw_process_resident_memory_bytes')!.samples[0]!.value).toBeGreaterThan(1e6);
    expect(families.get('edgeclaw_process_heap_used_bytes')!.samples[0]!.value).toBeGreaterThan(0);
    expect(families.has('edgeclaw_runs_total')).toBe(true);
  });
});
