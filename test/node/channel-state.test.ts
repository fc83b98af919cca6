// Bounds of the channel framework's own state, on the real registry SQLite (node-adapter's D1 wrapper):
// the logout cache cap, status rows only for configured accounts, and the Signal receiver skipping an
// event over its size cap (against the fake signal-cli daemon on a real socket).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardChannelRoutes, isAccountStopped, STOPPED_CACHE_CAP, stoppedCacheSize } from '../../src/channels/account-state.ts';
import { slackDriver } from '../../src/channels/slack/driver.ts';
import { SignalReceiver } from '../../src/channels/signal/receiver.ts';
import type { DbBinding, Env } from '../../src/env.ts';
import { listChannelStatus, setChannelStopped } from '../../src/storage/repos/channel-status.ts';
import { NodeD1Database } from '../../node-adapter/d1.ts';
import { migrateRegistry } from '../../node-adapter/migrate.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import { Hono } from 'hono';
import { waitFor } from '../contract/harness.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeSignal } from '../fakes/signal.ts';
import { tempDir } from './server-process.ts';

const dir = tempDir();
const sqlite = openDatabase(join(dir.path, 'registry.sqlite'));
migrateRegistry(sqlite);
// SAFETY: NodeD1Database implements the D1 surface DbBinding names (prepare/batch/exec).
const DB = new NodeD1Database(sqlite) as unknown as DbBinding;
const signal = createFakeSignal('+15550000001');
let served: ServedFake;

beforeAll(async () => {
  served = await serveOnPort0(signal.app);
});

afterAll(async () => {
  await served.close();
  sqlite.close();
  dir.cleanup();
});

describe('channel state bounds', () => {
  it('keeps at most STOPPED_CACHE_CAP logout checks, dropping the oldest', async () => {
    const env = { DB } as unknown as Env;
    await setChannelStopped(DB, 'slack', 'a0', 'fp-0', 1);
    for (let i = 0; i < STOPPED_CACHE_CAP + 50; i++) await isAccountStopped(env, 'slack', { id: `a${i}`, fingerprint: `fp-${i}` }, 10);
    expect(stoppedCacheSize(env)).toBe(STOPPED_CACHE_CAP);
    // The evicted first entry is read again from the registry, still correct.
    expect(await isAccountStopped(env, 'slack', { id: 'a0', fingerprint: 'fp-0' }, 20)).toBe(true);
    expect(await isAccountStopped(env, 'slack', { id: 'a0', fingerprint: 'fp-other' }, 20)).toBe(false);
  });

  it('records nothing for requests to accounts that are not configured', async () => {
    const env = { DB, EDGECLAW_SLACK: JSON.stringify({ accounts: [] }) } as unknown as Env;
    const before = (await listChannelStatus(DB, 'slack')).length;
    const routes = new Hono<{ Bindings: Env }>();
    routes.post('/:account/events', (c) => c.json({ ok: false }, 404));
    const app = guardChannelRoutes(slackDriver, routes);
    for (let i = 0; i < 20; i++) expect((await app.request(`/ghost${i}/events`, { method: 'POST', body: '{}' }, env)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect((await listChannelStatus(DB, 'slack')).length).toBe(before);
  });

  it('skips a Signal event over the size cap and goes on with the next one', async () => {
    const got: string[] = [];
    const receiver = new SignalReceiver({ url: `${served.url}/api/v1/events`, maxEventBytes: 2_000, backoff: { baseMs: 20, maxMs: 50 }, onEvent: async (data) => void got.push((JSON.parse(data) as { envelope: { dataMessage: { message: string } } }).envelope.dataMessage.message) });
    receiver.start();
    try {
      await waitFor(async () => (signal.streams() > 0 ? true : undefined), 10_000, 'the stream');
      signal.receive({ source: '+15550000002', text: 'x'.repeat(5_000) });
      signal.receive({ source: '+15550000002', text: 'small one' });
      await waitFor(async () => (got.includes('small one') ? true : undefined), 10_000, 'the next event');
      expect(got).toEqual(['small one']);
      expect(receiver.state().lastError).toMatch(/^event 1 larger than 2000 bytes; skipped$/);
    } finally {
      await receiver.stop();
    }
    expect(receiver.state()).toMatchObject({ running: false, connected: false });
  });
});
