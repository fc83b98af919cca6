// The sessions contract against the real Node server (child process on real SQLite files).
import { afterAll, beforeAll } from 'vitest';
import { describeSessions } from '../contract/sessions.ts';
import { TEST_QUEUE_CAP, TEST_QUEUE_DROP, TEST_TOKEN } from '../contract/constants.ts';
import type { Harness } from '../contract/harness.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
const serverEnv = {
  PORT: '0',
  HOST: '127.0.0.1',
  EDGECLAW_DATA_DIR: dir.path,
  EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN,
  EDGECLAW_QUEUE_CAP: String(TEST_QUEUE_CAP),
  EDGECLAW_QUEUE_DROP: TEST_QUEUE_DROP,
};
let server: ServerProcess;

const harness: Harness = {
  token: TEST_TOKEN,
  queueCap: TEST_QUEUE_CAP,
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
  async crashAndRestart() {
    server.child.kill('SIGKILL');
    await server.exited;
    server = await spawnServer(serverEnv);
  },
};

beforeAll(async () => {
  server = await spawnServer(serverEnv);
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

describeSessions('node', () => harness);
