// The devices contract on workerd: sockets terminate in the real GatewayDO through the Worker's fetch.
// No connect is ever direct loopback here (cf-connecting-ip always names the client).
import { applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll } from 'vitest';
import { describeDevices, type DevicesHarness } from '../contract/devices.ts';
import { FrameClient, type WsLike } from '../contract/ws-client.ts';

const harness: DevicesHarness = {
  async open(remote = '192.0.2.77') {
    const res = await exports.default.fetch(new Request('https://edgeclaw.test/', { headers: { Upgrade: 'websocket', 'cf-connecting-ip': remote } }));
    if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
    const ws = res.webSocket;
    const client = new FrameClient(ws as unknown as WsLike);
    ws.accept();
    return client;
  },
  fetch: (path, init) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init)),
};

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describeDevices('workers', () => harness, { directLocal: false, restartable: false });
