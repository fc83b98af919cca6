// Two projects, one run: `workers` runs on real workerd (Cloudflare's vitest plugin: real DOs and D1);
// `node` runs pure logic and the real Node server (child processes on real SQLite files).
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { agentModelsConfig, INJECTION, VT_TEST_KEY } from './test/contract/agent-config.ts';
import { seededFakeVirusTotal } from './test/fakes/virustotal-seed.ts';
import { createFakeOpenAI } from './test/fakes/openai-provider.ts';
import { TEST_CREDENTIALS, TEST_HOOKS_TOKEN, TEST_PAIRING_MAX_PENDING, TEST_QUEUE_CAP, TEST_QUEUE_DROP, TEST_TOKEN } from './test/contract/constants.ts';

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
  // Miniflare hands over its own Request class; rebuild a standard one for the Hono fakes.
  const viaFake = (app: { fetch(r: Request): Response | Promise<Response> }) => async (request: Request) =>
    app.fetch(new Request(request.url, { method: request.method, headers: Object.fromEntries([...request.headers]), ...(request.method === 'GET' ? {} : { body: await request.arrayBuffer() }) }));
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
            EDGECLAW_PAIRING_MAX_PENDING: String(TEST_PAIRING_MAX_PENDING),
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
            EDGECLAW_MODELS_JSON: JSON.stringify(agentModelsConfig('http://fake-provider.invalid/v1')),
            VIRUSTOTAL_API_KEY: VT_TEST_KEY,
            VIRUSTOTAL_BASE_URL: 'https://vt.fake/api/v3',
            EDGECLAW_VT_PER_MINUTE: '100',
          },
          serviceBindings: {
            PROVIDER_FETCHER: viaFake(fakeProvider),
            VIRUSTOTAL_FETCHER: viaFake(fakeVirusTotal.app),
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
