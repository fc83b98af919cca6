// The devices contract against the real Node server (real SQLite, real `ws` client), including a restart.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll } from 'vitest';
import { describeDevices, type DevicesHarness } from '../contract/devices.ts';
import { TEST_CREDENTIALS, TEST_PAIRING_MAX_PENDING } from '../contract/constants.ts';
import { FrameClient, type WsLike } from '../contract/ws-client.ts';
import { contractServerEnv } from './contract-server.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;
let serverEnv: Record<string, string>;

const harness: DevicesHarness = {
  async open(remote) {
    // A proxied connect (X-Forwarded-For from the trusted local proxy) is never direct loopback.
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/', { headers: remote ? { 'x-forwarded-for': remote } : {} });
    const client = new FrameClient(ws as unknown as WsLike);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  },
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
  async restart() {
    server.child.kill('SIGKILL');
    await server.exited;
    server = await spawnServer(serverEnv);
  },
};

beforeAll(async () => {
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ gateway: { credentials: JSON.parse(TEST_CREDENTIALS), trustedProxies: ['127.0.0.1'] } }));
  serverEnv = contractServerEnv(join(dir.path, 'data'), { EDGECLAW_CONFIG: config, EDGECLAW_PAIRING_MAX_PENDING: String(TEST_PAIRING_MAX_PENDING) });
  server = await spawnServer(serverEnv);
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

describeDevices('node', () => harness, { directLocal: true, restartable: true });
