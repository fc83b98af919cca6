// A fake OpenAI-compatible server (Hono app). The request's model name picks the behaviour, so one server
// serves many tests: serve it on port 0 in Node, or pass `fake.fetch` as the client's fetch in workerd.
//
// Model cues (anything after `#` is ignored, so tests can make names unique for the `flaky` counters):
//   echo                 streams "echo: <last user text>"        text:<words>   streams <words>
//   tools:<n>            tool calls for the first n assistant steps of the conversation, then
//                        "done: <tool results joined by ' | '>"; calls from header x-fake-tool-calls
//                        (JSON [{name, arguments}]) or one `echo` call {text:"step <k>"}; with header
//                        x-fake-after-tools: hang, the step after the last tool call hangs instead (a run that
//                        stays active until the client aborts it)
//   status:<code>[:<s>]  answers <code> with an OpenAI error body (Retry-After: <s> if given)
//   flaky:<n>[:<code>[:<s>]]  the first n requests for this exact model answer <code> (default 500), then echo
//   malformed            a 200 event stream whose data is not JSON     garbage  a 200 JSON body that is not JSON
//   json                 a non-streamed completion (echo)              stream-error  one delta, then an error event
//   truncate             two deltas, then the stream closes without finish_reason or [DONE]
//   hang                 never answers (until the client goes away)    stall  one delta "partial ", then hangs
import { Hono } from 'hono';

/** What the fake saw of one request. */
export interface FakeRequest {
  method: string;
  path: string;
  authorization: string | null;
  headers: Record<string, string>;
  body: FakeBody;
  /** Set when the client cancelled the response stream (it stopped reading, so the server stops generating). */
  cancelled: boolean;
  /** Set when the client went away while the fake was hanging. */
  disconnected: boolean;
}

/** The request body fields the fake reads. */
export interface FakeBody {
  model: string;
  messages: Array<{ role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: Array<{ function: { name: string } }>;
}

/** Creates one fake server with its own request log and counters. */
export function createFakeOpenAI() {
  const requests: FakeRequest[] = [];
  const counters = new Map<string, number>();
  const app = new Hono();

  app.get('*', (c) => {
    if (!c.req.path.endsWith('/models')) return c.json({ error: { message: 'not found' } }, 404);
    return c.json({ object: 'list', data: [{ id: 'fake-live-1', object: 'model' }, { id: 'fake-live-2', object: 'model' }] });
  });

  app.post('*', async (c) => {
    const entry: FakeRequest = {
      method: 'POST',
      path: c.req.path,
      authorization: c.req.header('authorization') ?? null,
      headers: Object.fromEntries(c.req.raw.headers),
      body: { model: '', messages: [] },
      cancelled: false,
      disconnected: false,
    };
    requests.push(entry);
    if (!c.req.path.endsWith('/chat/completions')) return c.json({ error: { message: `no route ${c.req.path}` } }, 404);
    // SAFETY: the fake trusts its own test clients; a bad body fails the test loudly.
    const body = (await c.req.json()) as FakeBody;
    entry.body = body;
    const [cue = 'echo', a1, a2, a3] = body.model.split('#')[0]!.split(':');
    const signal = c.req.raw.signal;
    const crlf = c.req.header('x-fake-newline') === 'crlf';

    switch (cue) {
      case 'status':
        return errorResponse(Number(a1), a2);
      case 'flaky': {
        const seen = (counters.get(body.model) ?? 0) + 1;
        counters.set(body.model, seen);
        if (seen <= Number(a1)) return errorResponse(Number(a2 ?? 500), a3);
        return sse(entry, textChunks(`echo: ${lastUserText(body)}`, body), crlf);
      }
      case 'malformed':
        return new Response('data: {"choices": [oops\n\n', { headers: { 'content-type': 'text/event-stream' } });
      case 'garbage':
        return new Response('this is not json', { headers: { 'content-type': 'application/json' } });
      case 'json':
        return c.json({
          id: 'cmpl-json',
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `echo: ${lastUserText(body)}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
        });
      case 'hang':
        await hang(signal, entry);
        return errorResponse(504);
      case 'stall':
        return sse(entry, [delta({ role: 'assistant', content: 'partial ' })], crlf, true);
      case 'truncate':
        return sse(entry, [delta({ content: 'cut ' }), delta({ content: 'short' })], crlf, false, true);
      case 'stream-error':
        return sse(entry, [delta({ content: 'x' }), { error: { message: 'upstream overloaded', code: 'overloaded' } }], crlf);
      case 'text':
        return sse(entry, textChunks(a1 ?? '', body), crlf);
      case 'transcript':
        // Every user message the model was given, in order: shows exactly what reached the model.
        return sse(entry, textChunks(`transcript: ${body.messages.filter((m) => m.role === 'user').map((m) => m.content ?? '').join(' | ')}`, body), crlf);
      case 'tools': {
        const steps = Number(a1 ?? 1);
        if (c.req.header('x-fake-after-tools') === 'hang' && toolStepsDone(body) >= steps) {
          await hang(signal, entry);
          return errorResponse(504);
        }
        return sse(entry, toolStep(body, steps, c.req.header('x-fake-tool-calls')), crlf);
      }
      default:
        return sse(entry, textChunks(`echo: ${lastUserText(body)}`, body), crlf);
    }
  });

  return {
    app,
    requests,
    /** A fetch that calls the app in-process (for workerd tests and benches). */
    fetch: (input: Request | string | URL, init?: RequestInit) => app.request(input instanceof URL ? input.toString() : input, init),
  };
}

function errorResponse(status: number, retryAfter?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return new Response(JSON.stringify({ error: { message: `fake ${status}`, type, code: type } }), { status, headers });
}

function delta(d: Record<string, unknown>, finish: string | null = null): Record<string, unknown> {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', model: 'fake', choices: [{ index: 0, delta: d, finish_reason: finish }] };
}

function usageChunk(body: FakeBody): Record<string, unknown>[] {
  if (!body.stream_options?.include_usage) return [];
  return [{ id: 'chatcmpl-fake', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }];
}

function textChunks(text: string, body: FakeBody): Record<string, unknown>[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [''];
  return [delta({ role: 'assistant', content: '' }), ...words.map((w) => delta({ content: w })), delta({}, 'stop'), ...usageChunk(body)];
}

function lastUserText(body: FakeBody): string {
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  return user?.content ?? '';
}

function toolStepsDone(body: FakeBody): number {
  return body.messages.filter((m) => m.role === 'assistant' && m.tool_calls?.length).length;
}

function toolStep(body: FakeBody, steps: number, header: string | undefined): Record<string, unknown>[] {
  const after = body.messages;
  const done = toolStepsDone(body);
  if (done >= steps) {
    const results = after.filter((m) => m.role === 'tool').map((m) => m.content);
    return textChunks(`done: ${results.join(' | ')}`, body);
  }
  // SAFETY: test-supplied JSON.
  const calls = header ? (JSON.parse(header) as Array<{ name: string; arguments: unknown }>) : [{ name: 'echo', arguments: { text: `step ${done + 1}` } }];
  const chunks: Record<string, unknown>[] = [delta({ role: 'assistant', content: null })];
  const args = calls.map((c) => (typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments)));
  calls.forEach((c, i) => chunks.push(delta({ tool_calls: [{ index: i, id: `call_${done + 1}_${i}`, type: 'function', function: { name: c.name, arguments: '' } }] })));
  // Argument fragments of 7 characters, interleaved across parallel calls.
  for (let at = 0; args.some((a) => at < a.length); at += 7) {
    args.forEach((a, i) => {
      if (at < a.length) chunks.push(delta({ tool_calls: [{ index: i, function: { arguments: a.slice(at, at + 7) } }] }));
    });
  }
  chunks.push(delta({}, 'tool_calls'), ...usageChunk(body));
  return chunks;
}

function hang(signal: AbortSignal, entry: FakeRequest): Promise<void> {
  // Bounded: a forgotten hang ends after 30 s instead of keeping the process alive.
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 30_000);
    signal.addEventListener('abort', () => {
      entry.disconnected = true;
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Streams events one per pull, each split in two network chunks to exercise the client's parser. */
function sse(entry: FakeRequest, events: Record<string, unknown>[], crlf: boolean, stallAfter = false, noDone = false): Response {
  const nl = crlf ? '\r\n' : '\n';
  const pieces: string[] = [`: fake keep-alive${nl}`];
  for (const ev of events) {
    const text = `data: ${JSON.stringify(ev)}${nl}${nl}`;
    const cut = Math.floor(text.length / 2);
    pieces.push(text.slice(0, cut), text.slice(cut));
  }
  if (!stallAfter && !noDone) pieces.push(`data: [DONE]${nl}${nl}`);
  const encoder = new TextEncoder();
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces.shift();
      if (next !== undefined) return controller.enqueue(encoder.encode(next));
      if (!stallAfter) return controller.close();
      // Stall: never send more; bounded so a forgotten stream ends after 30 s.
      return new Promise<void>((resolve) => {
        stallTimer = setTimeout(() => {
          controller.close();
          resolve();
        }, 30_000);
      });
    },
    cancel() {
      entry.cancelled = true;
      clearTimeout(stallTimer);
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}
