// The devices contract against the real Node server (real SQLite, real `ws` client), including a restart.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describeDevices, type DevicesHarness } from '../contract/devices.ts';
import { TEST_CREDENTIALS, TEST_PAIRING_MAX_PENDING } from '../contract/constants.ts';
import { contractServerEnv } from './contract-server.ts';
import { killAndRestart, openGateway, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;
let serverEnv: Record<string, string>;

const harness: DevicesHarness = {
  // A proxied connect (X-Forwarded-For from the trusted local proxy) is never direct loopback.
  open: (remote) => openGateway(server.url, remote),
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
  async restart() {
    server = await killAndRestart(server, serverEnv);
  },
};

beforeAll(async () => {
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ gateway: { credentials: JSON.parse(TEST_CREDENTIALS), trustedProxies: ['127.0.0.1'] } }));
  serverEnv = contractServerEnv(join(dir.path, 'data'), { EDGECLAW_CONFIG: config, EDGECLAW_PAIRING_MAX_PENDING: String(TEST_PAIRING_MAX_PENDING) });
  server = await spawnServer(serverEnv);
});

afterAll(async () => {
  await stopServer(server);
  dir.cleanup();
});

describeDevices('node', () => harness, { directLocal: true, restartable: true });
