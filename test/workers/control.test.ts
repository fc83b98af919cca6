// The control-method contract on workerd: the real GatewayDO keeps config overlay, cron jobs and send
// results in its SQLite and fires cron from its alarm; a "crash" aborts every Durable Object.
import { abortAllDurableObjects, applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll } from 'vitest';
import { describeControl, type ControlHarness } from '../contract/control.ts';
import { FrameClient, type WsLike } from '../contract/ws-client.ts';

const harness: ControlHarness = {
  async open() {
    const res = await exports.default.fetch(new Request('https://edgeclaw.test/', { headers: { Upgrade: 'websocket', 'cf-connecting-ip': '192.0.2.77' } }));
    if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
    const ws = res.webSocket;
    const client = new FrameClient(ws as unknown as WsLike);
    ws.accept();
    return client;
  },
  fetch: (path, init) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init)),
  crashAndRestart: () => abortAllDurableObjects(),
};

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describeControl('workers', () => harness);
