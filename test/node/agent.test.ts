// The agent end to end against the real Node server: the fake OpenAI-compatible provider on port 0, the
// Node tools in the server's workspace, and a HOME canary that `rm -rf ~` would destroy.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { agentModelsConfig, describeAgent, INJECTION, type AgentHarness } from '../contract/agent.ts';
import { VT_TEST_KEY } from '../contract/agent-config.ts';
import { TEST_QUEUE_CAP, TEST_TOKEN } from '../contract/constants.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { seededFakeVirusTotal } from '../fakes/virustotal-seed.ts';
import { createFakeOAuthDevice } from '../fakes/oauth-device.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { killAndRestart, openGateway, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
const home = join(dir.path, 'home');
const data = join(dir.path, 'data');
const workspace = join(data, 'workspace');
let fake: ServedFake;
let vt: ServedFake;
let oauth: ServedFake;
let server: ServerProcess;
let env: Record<string, string>;

const harness: AgentHarness = {
  token: TEST_TOKEN,
  queueCap: TEST_QUEUE_CAP,
  hasExec: true,
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
  open: () => openGateway(server.url),
  async crashAndRestart() {
    server = await killAndRestart(server, env);
  },
  async approveOAuth(userCode) {
    const res = await fetch(`${oauth.url}/approve`, { method: 'POST', body: JSON.stringify({ user_code: userCode }) });
    if (!res.ok) throw new Error(`approve failed: ${res.status}`);
  },
  makeBuildDir: () => mkdirSync(join(workspace, 'build', 'out'), { recursive: true }),
  buildDirExists: () => existsSync(join(workspace, 'build')),
  homeCanaryExists: () => existsSync(join(home, 'canary.txt')),
};

beforeAll(async () => {
  fake = await serveOnPort0(createFakeOpenAI().app);
  vt = await serveOnPort0(seededFakeVirusTotal().app);
  oauth = await serveOnPort0(createFakeOAuthDevice().app);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'canary.txt'), 'still here');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'notes.txt'), `Meeting notes.\n${INJECTION}\n`);
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ models: agentModelsConfig(`${fake.url}/v1`, oauth.url) }));
  env = { PORT: '0', HOME: home, EDGECLAW_DATA_DIR: data, EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: 'model', EDGECLAW_OPENAI_HTTP: 'true', VIRUSTOTAL_API_KEY: VT_TEST_KEY, VIRUSTOTAL_BASE_URL: `${vt.url}/api/v3`, EDGECLAW_VT_PER_MINUTE: '100' };
  server = await spawnServer(env);
});

afterAll(async () => {
  await stopServer(server);
  await fake.close();
  await vt.close();
  await oauth.close();
  dir.cleanup();
});

describeAgent('node', () => harness);
