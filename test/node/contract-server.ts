/** The Node side of the contract suites: a real server child per test file, crashable with SIGKILL. */
import { afterAll, beforeAll } from 'vitest';
import { TEST_QUEUE_CAP, TEST_QUEUE_DROP, TEST_TOKEN } from '../contract/constants.ts';
import type { Harness } from '../contract/harness.ts';
import { killAndRestart, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

/** Env of a contract-suite server on `dataDir` (loopback, random port, test token, test queue settings). */
export function contractServerEnv(dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    EDGECLAW_DATA_DIR: dataDir,
    EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN,
    EDGECLAW_QUEUE_CAP: String(TEST_QUEUE_CAP),
    EDGECLAW_QUEUE_DROP: TEST_QUEUE_DROP,
    ...overrides,
  };
}

/** Starts the server before the file's tests and stops it after; returns the contract harness. */
export function useContractServer(): Harness {
  const dir = tempDir();
  const serverEnv = contractServerEnv(dir.path);
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer(serverEnv);
  });
  afterAll(async () => {
    await stopServer(server);
    dir.cleanup();
  });
  return {
    token: TEST_TOKEN,
    queueCap: TEST_QUEUE_CAP,
    fetch: (path, init) => fetch(`${server.url}${path}`, init),
    async crashAndRestart() {
      server = await killAndRestart(server, serverEnv);
    },
  };
}
