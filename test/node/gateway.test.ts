// The gateway contract against the real Node server over a real `ws` client.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describeGateway, type GatewayHarness } from '../contract/gateway.ts';
import { TEST_CREDENTIALS, TEST_HOOKS_TOKEN, TEST_TOKEN } from '../contract/constants.ts';
import { openGateway, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;

const harness: GatewayHarness = {
  open: (remote) => openGateway(server.url, remote),
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
};

beforeAll(async () => {
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ gateway: { credentials: JSON.parse(TEST_CREDENTIALS), trustedProxies: ['127.0.0.1'] } }));
  server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config, EDGECLAW_HOOKS_TOKEN: TEST_HOOKS_TOKEN });
});

afterAll(async () => {
  await stopServer(server);
  dir.cleanup();
});

describeGateway('node', () => harness);
