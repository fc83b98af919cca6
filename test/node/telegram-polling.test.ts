// Long polling against the fake Bot API on a real socket: offsets, failures, 409 conflicts, 429, and the
// TelegramPollerDO alarm loop hosted by the Node Durable Object host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TelegramPollerDO } from '../../durable/telegram-poller-do.ts';
import { DurableObjectHost } from '../../node-adapter/do-host.ts';
import type { DeliverResult, InboundSink, RoutedMessage, SessionControl } from '../../src/channels/envelope.ts';
import type { RetryClock } from '../../src/channels/retry.ts';
import { createBotApi } from '../../src/channels/telegram/api.ts';
import type { PollerHostOptions } from '../../src/channels/telegram/poller-host.ts';
import { DEFAULT_POLLER_SETTINGS, runPollingLoop, TelegramPoller, type OffsetStore, type PollerStatus } from '../../src/channels/telegram/polling.ts';
import type { TelegramUpdate } from '../../src/channels/telegram/update.ts';
import { createLogger } from '../../src/log.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { useServedFake } from '../fakes/serve-node.ts';

const fake = createFakeTelegram();
const served = useServedFake(fake.app, () => fake.releaseAll());

const clock: RetryClock = { sleep: async () => {}, random: () => 0.5 };

function memoryOffsets(): OffsetStore & { saved: number[] } {
  const saved: number[] = [];
  return { saved, load: async () => saved.at(-1) ?? null, save: async (n) => void saved.push(n) };
}

function poller(token: string, handle: (u: TelegramUpdate) => Promise<void>, offsets = memoryOffsets(), timeoutSeconds = 0) {
  const api = createBotApi({ token, apiRoot: served.url });
  return new TelegramPoller({ account: 'default', api, offsets, handle, clock, settings: { ...DEFAULT_POLLER_SETTINGS, timeoutSeconds } });
}

describe('TelegramPoller', () => {
  it('hands updates off in order and advances the offset past them', async () => {
    const token = fake.addBot(1001, 'a_bot');
    const ids = [fake.pushUpdate(token, dm(1, 'one')), fake.pushUpdate(token, dm(1, 'two'))].map((u) => u.update_id as number);
    const got: number[] = [];
    const offsets = memoryOffsets();
    const p = poller(token, async (u) => void got.push(u.update_id), offsets);
    const step = await p.step();
    expect(step).toMatchObject({ received: 2, handled: 2 });
    expect(got).toEqual(ids);
    expect(offsets.saved).toEqual([ids[1]! + 1]);
    await p.step(); // confirms the offset: the fake forgets them
    expect(fake.pending(token)).toBe(0);
    expect(got).toEqual(ids);
  });

  it('does not advance the offset past an update whose hand-off failed', async () => {
    const token = fake.addBot(1002, 'b_bot');
    const [a, b] = [fake.pushUpdate(token, dm(1, 'ok')), fake.pushUpdate(token, dm(1, 'fails once'))].map((u) => u.update_id as number);
    let failing = true;
    const got: number[] = [];
    const offsets = memoryOffsets();
    const p = poller(token, async (u) => {
      if (u.update_id === b && failing) throw new Error('session unavailable');
      got.push(u.update_id);
    }, offsets);
    const first = await p.step();
    expect(first).toMatchObject({ handled: 1, status: { offset: b, lastError: { message: 'session unavailable' } } });
    expect(first.delayMs).toBeGreaterThan(0);
    expect(offsets.saved).toEqual([b]);
    failing = false;
    await p.step();
    expect(got).toEqual([a, b]);
    expect(p.status()).toMatchObject({ offset: b! + 1, lastError: null, consecutiveFailures: 0 });
  });

  it('reports a 409 conflict while a webhook is set and backs off instead of spinning', async () => {
    const token = fake.addBot(1003, 'c_bot');
    await createBotApi({ token, apiRoot: served.url }).setWebhook('https://example.com/telegram/default/webhook', { secret_token: 's' });
    const p = poller(token, async () => {});
    const one = await p.step();
    const two = await p.step();
    expect(one.status.conflict).toMatchObject({ count: 1, description: expect.stringContaining('webhook is active') });
    expect(two.status.conflict).toMatchObject({ count: 2, since: one.status.conflict!.since });
    expect(one.status.connected).toBe(false);
    expect(one.delayMs).toBeGreaterThanOrEqual(DEFAULT_POLLER_SETTINGS.conflictBackoff.baseDelayMs / 2);
    expect(two.delayMs).toBeGreaterThan(one.delayMs);
    await createBotApi({ token, apiRoot: served.url }).deleteWebhook();
    const three = await p.step();
    expect(three.status).toMatchObject({ conflict: null, connected: true });
  });

  it('reports a conflict when another poller supersedes this one', async () => {
    const token = fake.addBot(1004, 'd_bot');
    const first = poller(token, async () => {}, memoryOffsets(), 30);
    const pending = first.step();
    // A second long poll on the same token terminates the first with 409, as on the real server.
    while (!fake.calls.some((c) => c.method === 'getUpdates' && c.params.timeout === 30)) await new Promise((r) => setImmediate(r));
    const second = poller(token, async () => {}, memoryOffsets(), 0);
    await second.step();
    expect((await pending).status.conflict?.description).toMatch(/terminated by other getUpdates/);
  });

  it('waits retry_after on a 429 and backs off on 5xx and malformed answers', async () => {
    const token = fake.addBot(1005, 'e_bot');
    const p = poller(token, async () => {});
    fake.cue('getUpdates', { kind: 'rate_limit', retryAfter: 7 });
    expect((await p.step()).delayMs).toBe(7000);
    fake.cue('getUpdates', { kind: 'server_error', status: 502 });
    const s5xx = await p.step();
    expect(s5xx.status.lastError).toMatchObject({ code: 502 });
    fake.cue('getUpdates', { kind: 'malformed' });
    const bad = await p.step();
    expect(bad.status.lastError?.message).toMatch(/network/);
    expect(bad.delayMs).toBeGreaterThan(s5xx.delayMs);
    expect((await p.step()).status.consecutiveFailures).toBe(0);
  });

  it('skips an update that fails validation instead of blocking the bot', async () => {
    const token = fake.addBot(1006, 'f_bot');
    const bad = fake.pushUpdate(token, { message: { message_id: 'x' } });
    const good = fake.pushUpdate(token, dm(1, 'fine'));
    const got: number[] = [];
    const p = poller(token, async (u) => void got.push(u.update_id));
    await p.step();
    expect(got).toEqual([good.update_id]);
    expect(p.status().offset).toBe((good.update_id as number) + 1);
    expect(bad.update_id).toBeLessThan(good.update_id as number);
  });

  it('returns from a long poll as soon as an update arrives', async () => {
    const token = fake.addBot(1007, 'g_bot');
    const got: number[] = [];
    const p = poller(token, async (u) => void got.push(u.update_id), memoryOffsets(), 50);
    const pending = p.step();
    while (!fake.calls.some((c) => c.method === 'getUpdates' && c.params.timeout === 50)) await new Promise((r) => setImmediate(r));
    const u = fake.pushUpdate(token, dm(1, 'wake up'));
    expect((await pending).handled).toBe(1);
    expect(got).toEqual([u.update_id]);
  });

  it('runs the in-process loop until aborted', async () => {
    const token = fake.addBot(1008, 'h_bot');
    const stop = new AbortController();
    const got: number[] = [];
    for (let i = 0; i < 3; i++) fake.pushUpdate(token, dm(1, `m${i}`));
    const p = poller(token, async (u) => {
      got.push(u.update_id);
      if (got.length === 3) stop.abort();
    }, memoryOffsets(), 1);
    await runPollingLoop(p, { signal: stop.signal, clock });
    expect(got.length).toBe(3);
  });
});

// The DO under the Node host, with the sink and control injected (the session runtime is not under test).
const delivered: RoutedMessage[] = [];
let onDelivered: (() => void) | null = null;
const testSink: InboundSink = {
  async deliver(m): Promise<DeliverResult> {
    if (delivered.some((d) => d.idempotencyKey === m.idempotencyKey)) return { status: 'duplicate', runId: 'r' };
    delivered.push(m);
    onDelivered?.();
    return { status: 'queued', runId: `r${delivered.length}` };
  },
};
const testControl: SessionControl = { status: async () => ({ state: 'idle', queued: 0 }), reset: async () => {}, abort: async () => ({ cancelled: 0, activeAborted: false }), setQueueMode: async () => {} };
class TestPollerDO extends TelegramPollerDO {
  protected override hostOptions(): PollerHostOptions {
    return { sink: testSink, control: testControl, settings: { timeoutSeconds: 1 }, apiOptions: {} };
  }
}

describe('TelegramPollerDO on the Node host', () => {
  it('polls from an alarm, persists the offset and stops on request', async () => {
    const token = fake.addBot(1009, 'i_bot');
    await createBotApi({ token, apiRoot: served.url }).setWebhook('https://example.com/x'); // start() must remove it
    const dataDir = mkdtempSync(join(tmpdir(), 'edgeclaw-tgpoll-'));
    const host = new DurableObjectHost({ dataDir, maxActive: 10, idleEvictMs: 60_000, log: createLogger('error') });
    const env = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: served.url, TELEGRAM_ALLOW_FROM: '42' };
    const ns = host.namespace('TELEGRAM_POLLERS', TestPollerDO, () => env);
    host.start();
    try {
      const stub = ns.getByName('default') as unknown as TelegramPollerDO;
      const twoDelivered = new Promise<void>((r) => (onDelivered = () => delivered.length >= 2 && r()));
      await stub.start('default');
      expect(fake.webhook(token)).toBeNull();
      const ids = [fake.pushUpdate(token, dm(42, 'hello')), fake.pushUpdate(token, dm(42, 'again'))].map((u) => u.update_id as number);
      await twoDelivered;
      expect(delivered.map((d) => d.idempotencyKey)).toEqual(ids.map((id) => `telegram:default:${id}`));
      const stopped: PollerStatus = await stub.stop();
      fake.releaseAll();
      expect(stopped).toMatchObject({ running: false, offset: ids[1]! + 1, updatesHandled: 2 });
      expect((await stub.status()).offset).toBe(ids[1]! + 1);
    } finally {
      fake.releaseAll();
      await host.close(5_000);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
