// Two projects, one run: `workers` runs on real workerd (Cloudflare's vitest plugin: real DOs and D1);
// `node` runs pure logic and the real Node server (child processes on real SQLite files).
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { agentModelsConfig, INJECTION, OAUTH_FAKE_ORIGIN, VT_TEST_KEY } from './test/contract/agent-config.ts';
import { seededFakeVirusTotal } from './test/fakes/virustotal-seed.ts';
import { createFakeOAuthDevice } from './test/fakes/oauth-device.ts';
import { createFakeOpenAI } from './test/fakes/openai-provider.ts';
import { createFakeTelegram } from './test/fakes/telegram.ts';
import { AGENT_TELEGRAM } from './test/contract/telegram-agent.ts';
import { TEST_CREDENTIALS, TEST_HOOKS_TOKEN, TEST_QUEUE_CAP, TEST_QUEUE_DROP, TEST_TOKEN } from './test/contract/constants.ts';

/** A workerd project running `test/<name>/**` against the real Worker with the given miniflare options. */
type PoolOptions = Exclude<Parameters<typeof cloudflareTest>[0], (...args: never[]) => unknown>;

function workersProject(name: string, miniflare: NonNullable<PoolOptions['miniflare']>, testTimeout: number) {
  return {
    plugins: [cloudflareTest({ main: './durable/worker.ts', wrangler: { configPath: './wrangler.toml' }, miniflare })],
    test: { name, include: [`test/${name}/**/*.test.ts`], testTimeout },
  };
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  const fakeProvider = createFakeOpenAI();
  const fakeVirusTotal = seededFakeVirusTotal();
  // The Bot API of the workers-agent project: SessionDOs reach it as their outbound network; tests read
  // what was sent (and script failures) through the TELEGRAM_FAKE service binding.
  const fakeTelegram = createFakeTelegram();
  const tgToken = fakeTelegram.addBot(AGENT_TELEGRAM.botId, AGENT_TELEGRAM.username);
  // Miniflare hands over its own Request class; rebuild a standard one for the Hono fakes.
  const rebuild = async (request: Request) =>
    new Request(request.url, { method: request.method, headers: Object.fromEntries([...request.headers]), ...(request.method === 'GET' ? {} : { body: await request.arrayBuffer() }) });
  const viaFake = (app: { fetch(r: Request): Response | Promise<Response> }) => async (request: Request) => app.fetch(await rebuild(request));
  // The OAuth device-flow IdP answers on its own host; the provider egress binding carries both.
  const fakeOAuth = createFakeOAuthDevice();
  return {
    test: {
      projects: [
        workersProject('workers', {
          bindings: {
            TEST_MIGRATIONS: migrations,
            EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN,
            EDGECLAW_QUEUE_CAP: String(TEST_QUEUE_CAP),
            EDGECLAW_QUEUE_DROP: TEST_QUEUE_DROP,
            EDGECLAW_GATEWAY_CREDENTIALS: TEST_CREDENTIALS,
            EDGECLAW_HOOKS_TOKEN: TEST_HOOKS_TOKEN,
            EDGECLAW_AGENT_RUNNER: 'record',
          },
        }, 30_000),
        // The agent end to end on workerd: the provider and web egress are service bindings to in-process fakes.
        workersProject('workers-agent', {
          bindings: {
            TEST_MIGRATIONS: migrations,
            EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN,
            EDGECLAW_AGENT_RUNNER: 'model',
            EDGECLAW_OPENAI_HTTP: 'true',
            EDGECLAW_MODELS_JSON: JSON.stringify(agentModelsConfig('http://fake-provider.invalid/v1', OAUTH_FAKE_ORIGIN)),
            VIRUSTOTAL_API_KEY: VT_TEST_KEY,
            VIRUSTOTAL_BASE_URL: 'https://vt.fake/api/v3',
            EDGECLAW_VT_PER_MINUTE: '100',
            TELEGRAM_BOT_TOKEN: tgToken,
            TELEGRAM_MODE: 'webhook',
            TELEGRAM_WEBHOOK_SECRET: AGENT_TELEGRAM.secret,
            TELEGRAM_API_ROOT: AGENT_TELEGRAM.apiRoot,
            TELEGRAM_DM_POLICY: 'open',
            TELEGRAM_GROUPS: AGENT_TELEGRAM.group,
          },
          // Only the fake Bot API is reachable from the Worker's global fetch; anything else is refused.
          outboundService: async (request: Request) =>
            new URL(request.url).origin === AGENT_TELEGRAM.apiRoot ? fakeTelegram.app.fetch(await rebuild(request)) : new Response('no egress in tests', { status: 502 }),
          serviceBindings: {
            PROVIDER_FETCHER: async (request: Request) => (new URL(request.url).origin === OAUTH_FAKE_ORIGIN ? fakeOAuth.app : fakeProvider).fetch(await rebuild(request)),
            VIRUSTOTAL_FETCHER: viaFake(fakeVirusTotal.app),
            TELEGRAM_FAKE: async (request: Request) => {
              const url = new URL(request.url);
              if (url.pathname === '/sent') return Response.json(fakeTelegram.sent(tgToken));
              if (url.pathname === '/actions') return Response.json(fakeTelegram.actions(tgToken));
              if (url.pathname === '/cue') {
                const c = (await request.json()) as { method: string; cue: Parameters<typeof fakeTelegram.cue>[1]; times?: number; skip?: number };
                fakeTelegram.cue(c.method, c.cue, c.times, c.skip);
                return Response.json({ ok: true });
              }
              return new Response('not found', { status: 404 });
            },
            TOOL_FETCHER: () => new Response(`<html><body><p>Docs page.</p><p>${INJECTION}</p></body></html>`, { headers: { 'content-type': 'text/html' } }),
          },
        }, 60_000),
        {
          resolve: { alias: { 'cloudflare:workers': path.join(import.meta.dirname, 'node-adapter/cf-workers.mjs') } },
          test: {
            name: 'node',
            include: ['test/core/**/*.test.ts', 'test/node/**/*.test.ts'],
            environment: 'node',
            globalSetup: ['./test/node/global-setup.ts'],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        // The official openclaw CLI against the Node server: opt-in (`npm run test:compat`), it installs ~650 MB.
        ...(process.env.EDGECLAW_COMPAT === '1'
          ? [{ test: { name: 'compat', include: ['test/compat/**/*.test.ts'], environment: 'node', globalSetup: ['./test/node/global-setup.ts'], testTimeout: 120_000, hookTimeout: 400_000 } }]
          : []),
      ],
    },
  };
});
