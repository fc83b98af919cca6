// Signal end to end on the real Node server: messages from the fake signal-cli daemon's event stream, the
// agent through the fake provider, replies through its JSON-RPC `send`, exactly once (dedupe by source +
// timestamp, replay after a dropped stream with Last-Event-ID), split at 4,000; status and logout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { longText, waitFor, waitForChunks } from '../contract/harness.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeSignal } from '../fakes/signal.ts';
import { rpcCall } from './rpc.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const SELF = '+15550000001';
const GROUP = 'R3JvdXBJZEZvclRlc3RzMTIzNDU2Nzg5MDEyMzQ1Njc4OTA=';
const dir = tempDir();
const signal = createFakeSignal(SELF);
const provider = createFakeOpenAI();
let servedSignal: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;
let serverEnv: Record<string, string>;

const sentTo = (number: string) => signal.sent().filter((m) => m.recipient?.includes(number));
const settle = () => new Promise((r) => setTimeout(r, 600));

const rpc = (method: string, params: unknown) => rpcCall(server.url, method, params);

const account = async () => ((await rpc('channels.status', { channel: 'signal-cli' })).payload.channelAccounts as Record<string, Record<string, unknown>[]>).signal![0]!;

beforeAll(async () => {
  servedSignal = await serveOnPort0(signal.app);
  servedProvider = await serveOnPort0(provider.app);
  serverEnv = agentServerEnv(dir.path, {
    models: agentModelsConfig(`${servedProvider.url}/v1`),
    channels: { signal: { accounts: [{ id: 'default', number: SELF, url: servedSignal.url, dmPolicy: 'open', groupPolicy: 'allowlist', groups: [GROUP] }] } },
  });
  server = await spawnServer(serverEnv);
  await waitFor(async () => (signal.streams() > 0 ? true : undefined), 20_000, 'the event stream');
});

afterAll(async () => {
  await stopServer(server);
  await servedSignal?.close();
  await servedProvider?.close();
  dir.cleanup();
});

describe('signal (node server, fake signal-cli daemon)', () => {
  it('answers a direct message with exactly one send', async () => {
    signal.receive({ source: '+15550000100', text: 'hello signal' });
    const sent = await waitFor(async () => (sentTo('+15550000100').length > 0 ? sentTo('+15550000100') : undefined), 30_000, 'the reply');
    expect(sent.map((m) => m.message)).toEqual(['echo: hello signal']);
    expect(sent[0]!.account).toBeUndefined();
  });

  it('delivers the same message (source + timestamp) twice and answers once', async () => {
    const ts = signal.receive({ source: '+15550000200', text: 'only once' });
    signal.receive({ source: '+15550000200', text: 'only once', timestamp: ts });
    await waitFor(async () => (sentTo('+15550000200').length > 0 ? true : undefined), 30_000, 'the reply');
    await settle();
    expect(sentTo('+15550000200').map((m) => m.message)).toEqual(['echo: only once']);
  });

  it('reopens a dropped stream with Last-Event-ID and answers what arrived meanwhile, once', async () => {
    signal.dropStreams();
    signal.receive({ source: '+15550000300', text: 'while the stream was down' });
    const sent = await waitFor(async () => (sentTo('+15550000300').length > 0 ? sentTo('+15550000300') : undefined), 30_000, 'the reply');
    expect(signal.lastEventIds().at(-1)).toMatch(/^\d+$/);
    await settle();
    expect(sent.map((m) => m.message)).toEqual(['echo: while the stream was down']);
    expect(sentTo('+15550000300')).toHaveLength(1);
  });

  it('resumes the stream after kill -9 and a restart from the saved position: what arrived meanwhile is answered once', async () => {
    const before = signal.lastEventIds().length;
    server.child.kill('SIGKILL');
    await server.exited;
    await waitFor(async () => (signal.streams() === 0 ? true : undefined), 10_000, 'the dead stream');
    signal.receive({ source: '+15550000350', text: 'while the server was down' });
    server = await spawnServer(serverEnv);
    const sent = await waitFor(async () => (sentTo('+15550000350').length > 0 ? sentTo('+15550000350') : undefined), 30_000, 'the reply');
    // The new process asked for what came after the last handled event, not only for live events.
    expect(signal.lastEventIds().slice(before)[0]).toMatch(/^\d+$/);
    await settle();
    expect(sent.map((m) => m.message)).toEqual(['echo: while the server was down']);
    // Earlier messages were not answered again.
    expect(sentTo('+15550000300')).toHaveLength(1);
    expect(sentTo('+15550000100')).toHaveLength(1);
  });

  it('answers a mention in an allowed group, ignores an unmentioned group message', async () => {
    signal.receive({ source: '+15550000400', text: 'not for the bot', groupId: GROUP });
    signal.receive({ source: '+15550000400', text: 'for the bot', groupId: GROUP, mentionsSelf: true });
    await waitFor(async () => (signal.sent().some((m) => m.groupId === GROUP) ? true : undefined), 30_000, 'the reply');
    await settle();
    expect(signal.sent().filter((m) => m.groupId === GROUP).map((m) => m.message)).toEqual(['echo: for the bot']);
  });

  it('splits a long answer at 4,000 characters and retries a daemon 500 without duplicating', async () => {
    const long = longText(9_000).trim();
    signal.failNext({ status: 500 });
    signal.receive({ source: '+15550000500', text: long });
    expect(await waitForChunks(() => sentTo('+15550000500').map((m) => m.message), `echo: ${long}`, 4_000)).toHaveLength(3);
  });

  it('reports the account in channels.status, and logout closes the stream until channels.start', async () => {
    expect(await account()).toMatchObject({ accountId: 'default', mode: 'sse', running: true, connected: true, baseUrl: servedSignal.url });
    expect((await rpc('channels.logout', { channel: 'signal' })).payload).toMatchObject({ loggedOut: true });
    await waitFor(async () => (signal.streams() === 0 ? true : undefined), 10_000, 'the stream close');
    signal.receive({ source: '+15550000600', text: 'nobody listens' });
    await settle();
    expect(sentTo('+15550000600')).toEqual([]);
    expect(await account()).toMatchObject({ enabled: false, running: false, connected: false });
    expect((await rpc('channels.start', { channel: 'signal' })).payload).toMatchObject({ started: true, hosted: true });
    await waitFor(async () => (signal.streams() > 0 ? true : undefined), 10_000, 'the stream');
    signal.receive({ source: '+15550000700', text: 'back again' });
    await waitFor(async () => (sentTo('+15550000700').length > 0 ? true : undefined), 30_000, 'the reply');
  });
});
