/** The Telegram account of the workers-agent project (vitest.config.ts bindings; no test APIs here). */
export const AGENT_TELEGRAM = {
  botId: 8181,
  username: 'edge_agent_bot',
  secret: 'agent_secret_0123',
  apiRoot: 'http://bot-api.fake',
  group: '-100818',
} as const;
