// Telegram reply quality on the real Node server (zero-config env path, polling, TELEGRAM_STREAMING=1):
// streaming drafts that survive kill -9 (finalised after restart, or replaced by a notice when the run is
// interrupted for good), topics and quotes in groups, the failure notice, and media in.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { waitFor } from '../contract/harness.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeTelegram, dm, groupMessage } from '../fakes/telegram.ts';
import { agentServerEnv, killAndRestart, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const INTERRUPTED = 'Sorry, my answer was interrupted by a restart. Please send your message again.';
const FAILED = 'Sorry, I could not answer that: the model provider failed (fallbacks included). Please try again in a moment.';

const dir = tempDir();
const tg = createFakeTelegram();
const token = tg.addBot(737373, 'replies_test_bot');
const provider = createFakeOpenAI();
/** Markers in the user text that make the next N model requests stream "partial " and then hang. */
const stalls = new Map<string, number>();
/** Model requests seen per marker. */
const seen = new Map<string, number>();
const hung: (() => void)[] = [];
/** Releases the second delta of the stalled stream for a marker. */
const more = new Map<string, () => void>();
/** Waits for the draft of `chat`, then for its first edit (which needs the draft id the session stored). */
async function draftStored(chat: number, marker: string) {
  const draft = await waitFor(async () => sentTo(chat)[0], 30_000, 'the draft');
  expect(draft.text).toBe('partial …');
  await waitFor(async () => more.get(marker), 30_000, 'the stalled stream');
  more.get(marker)!();
  more.delete(marker);
  await waitFor(async () => (sentTo(chat)[0]!.edits > 0 ? true : undefined), 30_000, 'the draft edit');
  return draft;
}

const enc = new TextEncoder();
const chunk = (content: string | null, finish: string | null = null) =>
  enc.encode(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`);

const gated = new Hono();
gated.post('*', async (c) => {
  const body = (await c.req.raw.clone().json()) as { messages: { role: string; content: string | null }[] };
  const last = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last.includes('#fail')) return c.json({ error: { message: 'upstream exploded', type: 'server_error' } }, 400);
  const marker = /#stall\w*/.exec(last)?.[0];
  if (marker) {
    seen.set(marker, (seen.get(marker) ?? 0) + 1);
    const left = stalls.get(marker) ?? 0;
    if (left > 0) {
      stalls.set(marker, left - 1);
      const stream = new ReadableStream<Uint8Array>({
        async start(ctrl) {
          ctrl.enqueue(chunk('partial '));
          // The test releases "more" once it saw the draft; the draft's edit then proves its id was stored.
          await new Promise<void>((r) => more.set(marker, r));
          ctrl.enqueue(chunk('more '));
          await new Promise<void>((r) => hung.push(r));
          ctrl.close();
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
    }
  }
  return provider.app.fetch(c.req.raw);
});
gated.all('*', (c) => provider.app.fetch(c.req.raw));

let servedTg: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;
let env: Record<string, string>;

const sentTo = (chat: number) => tg.sent(token).filter((m) => m.chat_id === String(chat));
const restart = async () => {
  server = await killAndRestart(server, env);
};

beforeAll(async () => {
  servedTg = await serveOnPort0(tg.app);
  servedProvider = await serveOnPort0(gated);
  env = agentServerEnv(dir.path, { models: agentModelsConfig(`${servedProvider.url}/v1`) }, {
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_MODE: 'polling',
    TELEGRAM_API_ROOT: servedTg.url,
    TELEGRAM_DM_POLICY: 'open',
    TELEGRAM_GROUPS: '-100777',
    TELEGRAM_STREAMING: '1',
    TELEGRAM_MEDIA_MAX_BYTES: '2048',
  });
  server = await spawnServer(env);
});

afterAll(async () => {
  for (const h of hung) h();
  await stopServer(server);
  tg.releaseAll();
  await servedTg.close();
  await servedProvider.close();
  dir.cleanup();
});

describe('telegram streaming drafts across kill -9 (node)', () => {
  it('finalises the draft a crash left behind once the resumed run answers: one message, the final text', async () => {
    stalls.set('#stall1', 1);
    tg.pushUpdate(token, dm(2001, 'stream then crash #stall1'));
    const draft = await draftStored(2001, '#stall1');
    await restart();
    await waitFor(async () => (sentTo(2001)[0]?.text.startsWith('echo:') ? true : undefined), 30_000, 'the final text in the draft').catch((err: unknown) => {
      throw new Error(`${String(err)}\nsent: ${JSON.stringify(sentTo(2001))}\nserver: ${server.stdout().slice(-4000)}`);
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sentTo(2001)).toMatchObject([{ message_id: draft.message_id, text: 'echo: stream then crash #stall1', deleted: false }]);
  });

  it('replaces the draft with a notice when a second crash interrupts the run for good', async () => {
    stalls.set('#stall2', 2);
    tg.pushUpdate(token, dm(2002, 'crash twice #stall2'));
    await draftStored(2002, '#stall2');
    await restart();
    await waitFor(async () => ((seen.get('#stall2') ?? 0) >= 2 ? true : undefined), 30_000, 'the resumed model call');
    await restart();
    await waitFor(async () => (sentTo(2002)[0]?.text === INTERRUPTED ? true : undefined), 30_000, 'the interrupted notice');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sentTo(2002)).toHaveLength(1);
    expect(seen.get('#stall2')).toBe(2);
  });
});

describe('telegram replies (node)', () => {
  it('answers in the topic and quotes the triggering message in a group', async () => {
    tg.pushUpdate(token, groupMessage(-100777, 3001, '@replies_test_bot hello topic', { message_id: 4242, message_thread_id: 55, is_topic_message: true }));
    const [reply] = await waitFor(async () => (sentTo(-100777).length > 0 ? sentTo(-100777) : undefined), 30_000, 'the group reply');
    expect(reply).toMatchObject({ text: 'echo: @replies_test_bot hello topic', message_thread_id: 55, reply_to: 4242 });
    expect(tg.actions(token).some((a) => a.chat_id === '-100777' && a.message_thread_id === 55 && a.action === 'typing')).toBe(true);
  });

  it('tells the user once when the model provider fails', async () => {
    tg.pushUpdate(token, dm(2003, 'please #fail'));
    await waitFor(async () => (sentTo(2003).length > 0 ? true : undefined), 30_000, 'the failure notice');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sentTo(2003).map((m) => m.text)).toEqual([FAILED]);
  });

  it('gives the model the text of a document and describes a photo', async () => {
    const body = '# Notes\nThe secret word is pelican.';
    const fileId = tg.addFile(token, body, 'documents/notes.md');
    tg.pushUpdate(token, dm(2004, '', { text: undefined, caption: 'summarise', document: { file_id: fileId, file_unique_id: 'uq1', file_name: 'notes.md', mime_type: 'text/markdown', file_size: body.length } }));
    const doc = await waitFor(async () => sentTo(2004)[0], 30_000, 'the document answer');
    expect(doc.text).toContain('The secret word is pelican.');
    expect(doc.text).toContain('[document: "notes.md", text/markdown, 35 B]');
    const photo = [
      { file_id: 'p-small', file_unique_id: 'ps', width: 320, height: 180, file_size: 5_000 },
      { file_id: 'p-big', file_unique_id: 'pb', width: 1280, height: 720, file_size: 87_040 },
    ];
    tg.pushUpdate(token, dm(2005, '', { text: undefined, photo }));
    const described = await waitFor(async () => sentTo(2005)[0], 30_000, 'the photo answer');
    expect(described.text).toBe('echo: [photo: 1280x720, 85 KB]');
  });

  it('refuses a document over the size cap and says so to the model', async () => {
    const fileId = tg.addFile(token, 'x'.repeat(3_000), 'documents/big.txt');
    tg.pushUpdate(token, dm(2006, '', { text: undefined, caption: 'read this', document: { file_id: fileId, file_unique_id: 'uq2', file_name: 'big.txt', mime_type: 'text/plain' } }));
    const reply = await waitFor(async () => sentTo(2006)[0], 30_000, 'the answer');
    expect(reply.text).toContain('[document "big.txt" could not be read: too large (3 KB; the limit is 2 KB)]');
    expect(reply.text).not.toContain('xxxx');
  });

  it('answers a sticker with what it can read instead of silence', async () => {
    tg.pushUpdate(token, dm(2007, '', { text: undefined, sticker: { file_id: 'st1', file_unique_id: 'st', width: 512, height: 512, is_animated: false, is_video: false, type: 'regular' } }));
    const reply = await waitFor(async () => sentTo(2007)[0], 30_000, 'the answer');
    expect(reply.text).toMatch(/^I can't read sticker messages\. Send text, a photo, a document/);
  });

  it('reports the account in its status: mode, offset, last update, delivery failures', async () => {
    tg.cue('sendMessage', { kind: 'server_error', status: 403 });
    tg.pushUpdate(token, dm(2008, 'this reply is refused'));
    const status = await waitFor(async () => {
      const res = await fetch(`${server.url}/telegram/default/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      const body = (await res.json()) as { status: { deliveryFailures: number } & Record<string, unknown> };
      return body.status.deliveryFailures > 0 ? body.status : undefined;
    }, 30_000, 'the delivery failure in the status');
    expect(status).toMatchObject({ account: 'default', mode: 'polling', running: true, streaming: true, queueDepth: 0, conflict: null });
    expect(status.offset).toBeGreaterThan(100_000);
    expect(status.lastUpdateAt).toEqual(expect.any(Number));
    expect(status.lastError).toMatchObject({ source: 'delivery_failed', message: expect.stringContaining('403') });
    const anon = await fetch(`${server.url}/telegram/default/status`);
    expect(anon.status).toBe(401);
  });
});
