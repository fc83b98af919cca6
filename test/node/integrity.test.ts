// The host guard's integrity baseline on the real Node server: a watched file changing while the server
// runs becomes a defender decision (audit + `defender.decision` event), and from then on tool calls need
// an operator (review) until a restart accepts the new state.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { uniqueSession } from '../contract/harness.ts';
import type { FrameClient } from '../contract/ws-client.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { operatorClient, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir('edgeclaw-integrity-');
const watched = join(dir.path, 'watched.conf');
let fake: ServedFake;
let server: ServerProcess;

const operator = (scopes: string[]) => operatorClient(server.url, TEST_TOKEN, scopes);

async function runList(op: FrameClient, session: string) {
  const runId = `run-${crypto.randomUUID()}`;
  await op.req('sessions.patch', { key: session, model: 'lister/tools:1' });
  expect((await op.req('chat.send', { sessionKey: session, message: 'what is in the workspace?', idempotencyKey: runId })).ok).toBe(true);
  return runId;
}

beforeAll(async () => {
  fake = await serveOnPort0(createFakeOpenAI().app);
  writeFileSync(watched, 'setting = 1\n');
  mkdirSync(join(dir.path, 'data', 'workspace'), { recursive: true });
  const config = join(dir.path, 'edgeclaw.json5');
  const calls = JSON.stringify([{ name: 'list', arguments: { path: '.' } }]);
  writeFileSync(config, JSON.stringify({ models: { default: 'lister/echo', providers: { lister: { baseUrl: `${fake.url}/v1`, keyless: true, models: ['echo'], headers: { 'x-fake-tool-calls': calls } } } } }));
  server = await spawnServer({
    PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config,
    EDGECLAW_AGENT_RUNNER: 'model', EDGECLAW_INTEGRITY_PATHS: watched, EDGECLAW_INTEGRITY_INTERVAL_SECS: '1',
  });
});

afterAll(async () => {
  await stopServer(server);
  await fake.close();
  dir.cleanup();
});

describe('integrity baseline (node)', () => {
  it('runs tool calls freely while the watched files are unchanged, then needs an operator once one changes', async () => {
    const op = await operator(['operator.read', 'operator.write', 'operator.approvals']);
    const before = uniqueSession('integrity-before');
    const first = await runList(op, before);
    const done = await op.next((f) => f.event === 'chat' && f.payload.runId === first && f.payload.state === 'final', 30_000);
    expect(done.payload.message.content[0].text).toMatch(/^done: /);
    expect(done.payload.message.content[0].text).not.toMatch(/blocked|not approved/);

    appendFileSync(watched, 'setting = 2 # tampered\n');
    const event = await op.next((f) => f.event === 'defender.decision' && f.payload.kind === 'file', 15_000);
    expect(event.payload).toMatchObject({ decision: 'review', reasons: ['host_guard:host.integrity_changed'] });
    expect(event.payload.detail).toContain('watched.conf');

    const after = uniqueSession('integrity-after');
    await runList(op, after);
    const requested = await op.next((f) => f.event === 'exec.approval.requested' && f.payload.sessionKey === after, 30_000);
    expect(requested.payload.reasons.map((r: { rule: string }) => r.rule)).toContain('host.integrity_changed');
    expect((await op.req('exec.approval.resolve', { id: requested.payload.id, decision: 'deny' })).ok).toBe(true);
    op.ws.close(1000);
  });

  it('refuses a bad interval at start with the variable named', async () => {
    const { runServer } = await import('./server-process.ts');
    const bad = runServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data2'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_INTEGRITY_INTERVAL_SECS: '0' });
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toMatch(/EDGECLAW_INTEGRITY_INTERVAL_SECS=0: expected whole seconds/);
  });
});
