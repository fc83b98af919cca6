// The sessions contract on real workerd: the Worker's own fetch handler, real SessionDO and LimiterDO.
import { abortAllDurableObjects, applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll } from 'vitest';
import { describeSessions } from '../contract/sessions.ts';
import { TEST_QUEUE_CAP, TEST_TOKEN } from '../contract/constants.ts';
import type { Harness } from '../contract/harness.ts';

const harness: Harness = {
  token: TEST_TOKEN,
  queueCap: TEST_QUEUE_CAP,
  fetch: (path, init) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init)),
  crashAndRestart: () => abortAllDurableObjects(),
};

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describeSessions('workers', () => harness);
