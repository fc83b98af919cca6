// The agent end to end on workerd: real SessionDO runs through the fake provider (a service binding), the
// defender gates tool calls and results, approvals go through the real GatewayDO.
import { applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll } from 'vitest';
import { describeAgent, type AgentHarness } from '../contract/agent.ts';
import { TEST_QUEUE_CAP, TEST_TOKEN } from '../contract/constants.ts';
import { OAUTH_FAKE_ORIGIN } from '../contract/agent-config.ts';
import { FrameClient, type WsLike } from '../contract/ws-client.ts';

const harness: AgentHarness = {
  token: TEST_TOKEN,
  queueCap: TEST_QUEUE_CAP,
  hasExec: false,
  fetch: (path, init) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init)),
  async open() {
    const res = await exports.default.fetch(new Request('https://edgeclaw.test/', { headers: { Upgrade: 'websocket', 'cf-connecting-ip': '192.0.2.50' } }));
    const ws = res.webSocket!;
    const client = new FrameClient(ws as unknown as WsLike);
    ws.accept();
    return client;
  },
  crashAndRestart: async () => undefined,
  async approveOAuth(userCode) {
    // The IdP is reached through the provider egress binding, as the gateway reaches it.
    const egress = (env as unknown as { PROVIDER_FETCHER: { fetch(url: string, init: RequestInit): Promise<Response> } }).PROVIDER_FETCHER;
    const res = await egress.fetch(`${OAUTH_FAKE_ORIGIN}/approve`, { method: 'POST', body: JSON.stringify({ user_code: userCode }) });
    if (!res.ok) throw new Error(`approve failed: ${res.status}`);
  },
};

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describeAgent('workers', () => harness);
