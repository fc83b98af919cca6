// The workerd side of the contract suites: the Worker's own fetch handler; a "crash" aborts every object.
import { abortAllDurableObjects, applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll } from 'vitest';
import { TEST_QUEUE_CAP, TEST_TOKEN } from '../contract/constants.ts';
import type { Harness } from '../contract/harness.ts';

/** Applies the registry migrations before the file's tests and returns the contract harness. */
export function useWorkersHarness(): Harness {
  beforeAll(async () => {
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  });
  return {
    token: TEST_TOKEN,
    queueCap: TEST_QUEUE_CAP,
    fetch: (path, init) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init)),
    crashAndRestart: () => abortAllDurableObjects(),
  };
}
