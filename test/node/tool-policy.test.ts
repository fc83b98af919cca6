// The tool policy shapes what the model is offered (not only what runs): a signed bundle denies `exec`
// everywhere and `write` on Telegram; `tools.effective` shows it per context, and the provider request of
// a real run carries only the allowed tools.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, makeRoot, POLICY_TYPE, signEnvelope } from '../../src/defender/bundle.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { uniqueSession } from '../contract/harness.ts';
import type { FrameClient } from '../contract/ws-client.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { operatorClient, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir('edgeclaw-toolpolicy-');
const provider = createFakeOpenAI();
let fake: ServedFake;
let server: ServerProcess;
let op: FrameClient;

beforeAll(async () => {
  fake = await serveOnPort0(provider.app);
  const key = await generateSigningKey();
  const policy = { tools: { profile: 'full', deny: ['exec'], byChannel: { telegram: { deny: ['write'] } } } };
  const bundle = await signEnvelope(POLICY_TYPE, { bundleVersion: 1, issuedAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z', policy }, [key]);
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ models: { default: 'fake/echo', providers: { fake: { baseUrl: `${fake.url}/v1`, keyless: true, models: ['echo'] } } } }));
  server = await spawnServer({
    PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: 'model',
    EDGECLAW_POLICY_BUNDLE: JSON.stringify(bundle), EDGECLAW_POLICY_TRUST: JSON.stringify({ root: makeRoot(1, '2099-01-01T00:00:00Z', 1, [key]), rotations: [] }),
  });
  op = await operatorClient(server.url, TEST_TOKEN, ['operator.read', 'operator.write']);
});

afterAll(async () => {
  op.ws.close(1000);
  await stopServer(server);
  await fake.close();
  dir.cleanup();
});

describe('tool policy (node)', () => {
  it('tools.effective lists the allowed tools and the refused ones with the step that refused them', async () => {
    const everywhere = (await op.req('tools.effective', {})).payload;
    expect(everywhere.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['read', 'write', 'web_fetch']));
    expect(everywhere.denied).toEqual([{ name: 'exec', step: 'allow/deny' }]);
    const telegram = (await op.req('tools.effective', { sessionKey: 'agent:main:telegram:default:direct:42' })).payload;
    expect(telegram.context).toMatchObject({ channel: 'telegram' });
    expect(telegram.denied.map((d: { name: string }) => d.name).sort()).toEqual(['exec', 'write']);
    const bad = await op.req('tools.effective', { channel: 'Tele gram' });
    expect(bad.ok).toBe(false);
    expect(bad.error.message).toMatch(/channel/);
  });

  it('offers the model only the allowed tools', async () => {
    const runId = `run-${crypto.randomUUID()}`;
    const session = uniqueSession('policy');
    expect((await op.req('chat.send', { sessionKey: session, message: 'hello', idempotencyKey: runId })).ok).toBe(true);
    await op.next((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final', 30_000);
    const offered = provider.requests.at(-1)!.body.tools!.map((t) => t.function.name);
    expect(offered).toContain('read');
    expect(offered).not.toContain('exec');
  });
});
