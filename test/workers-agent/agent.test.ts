// The agent end to end on workerd: real SessionDO runs through the fake provider (a service binding), the
// defender gates tool calls and results, approvals go through the real GatewayDO.
import { env } from 'cloudflare:test';
import { describeAgent, type AgentHarness } from '../contract/agent.ts';
import { OAUTH_FAKE_ORIGIN } from '../contract/agent-config.ts';
import { openGateway, useWorkersHarness } from '../workers/contract-harness.ts';

const harness: AgentHarness = {
  ...useWorkersHarness(),
  hasExec: false,
  open: () => openGateway('192.0.2.50'),
  crashAndRestart: async () => undefined,
  async approveOAuth(userCode) {
    // The IdP is reached through the provider egress binding, as the gateway reaches it.
    const egress = (env as unknown as { PROVIDER_FETCHER: { fetch(url: string, init: RequestInit): Promise<Response> } }).PROVIDER_FETCHER;
    const res = await egress.fetch(`${OAUTH_FAKE_ORIGIN}/approve`, { method: 'POST', body: JSON.stringify({ user_code: userCode }) });
    if (!res.ok) throw new Error(`approve failed: ${res.status}`);
  },
};

describeAgent('workers', () => harness);
