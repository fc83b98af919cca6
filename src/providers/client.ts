// OpenAI-compatible chat completions client on `fetch`: streaming SSE, tool calls, usage, timeouts,
// retries. API reference: https://platform.openai.com/docs/api-reference/chat/create
import { CompletionAssembler, DEFAULT_ASSEMBLY_LIMITS, streamError, type AssemblyLimits } from './assembler.ts';
import { ProviderApiError, ProviderError, ProviderNoAnswerError, isAbortError } from './errors.ts';
import { DEFAULT_RETRY, backoffDelay, parseRetryAfter, sleep, type RetryPolicy } from './retry.ts';
import { SseOverflowError, SseParser } from './sse.ts';
import type { ChatCallOptions, ChatCompleter, ChatRequest, ChatResult } from './types.ts';
import { chatCompletionsUrl, modelsUrl } from './url.ts';

/** The fetch signature the client needs (a fake app's `fetch` fits). */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response> | Response;

/** Options of one client; `fetch`, `sleep`, `random` and `now` are ports for tests. */
export interface OpenAICompatClientOptions {
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  fetch?: FetchLike;
  /** Time to response headers, and the longest silence between two stream chunks. Default 60 s. */
  timeoutMs?: number;
  /** Longest a single request may take in total, however steadily it streams. Default 10 min. */
  maxDurationMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Send `stream: true` (default) and `stream_options.include_usage` (default true; some servers reject it). */
  stream?: boolean;
  streamUsage?: boolean;
  limits?: Partial<AssemblyLimits>;
  /** Largest error or JSON body read, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

const ERROR_PREVIEW = 300;

/**
 * A client for one OpenAI-compatible endpoint.
 * @example const c = new OpenAICompatClient({ baseUrl: 'https://api.openai.com/v1', apiKey });
 *          const r = await c.complete({ model: 'gpt-5.3', messages }, { onDelta: (d) => … });
 */
export class OpenAICompatClient implements ChatCompleter {
  readonly chatUrl: string;
  readonly #opts: OpenAICompatClientOptions;
  readonly #retry: RetryPolicy;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(opts: OpenAICompatClientOptions) {
    this.#opts = opts;
    this.chatUrl = chatCompletionsUrl(opts.baseUrl);
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
    if (!(this.#retry.maxAttempts >= 1 && this.#retry.maxAttempts <= 10)) throw new Error('retry.maxAttempts must be between 1 and 10');
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Runs one completion with retries; streamed deltas go to `opts.onDelta`. Throws ProviderError or the abort reason. */
  async complete(req: ChatRequest, opts: ChatCallOptions = {}): Promise<ChatResult> {
    const random = this.#opts.random ?? Math.random;
    const wait = this.#opts.sleep ?? sleep;
    let spent = 0;
    for (let attempt = 1; ; attempt++) {
      const assembler = new CompletionAssembler(opts.onDelta, { ...DEFAULT_ASSEMBLY_LIMITS, ...this.#opts.limits });
      try {
        return await this.#once(req, assembler, opts.signal);
      } catch (err) {
        if (isAbortError(err, opts.signal)) throw opts.signal?.reason ?? err;
        if (!(err instanceof ProviderError) || !err.retryable || attempt >= this.#retry.maxAttempts) throw err;
        // Deltas already went out to the caller: a silent retry would duplicate them. Let the caller decide.
        if (assembler.emitted) throw err;
        let delay = backoffDelay(attempt, this.#retry, random);
        if (err instanceof ProviderApiError && err.retryAfterMs !== undefined) {
          if (err.retryAfterMs > this.#retry.maxRetryAfterMs) throw err;
          delay = err.retryAfterMs;
        }
        if (spent + delay > this.#retry.budgetMs) throw err;
        spent += delay;
        await wait(delay, opts.signal);
      }
    }
  }

  /** Lists model ids from `GET <base>/models` (one attempt, same timeout). */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const { response, done, aborted } = await this.#send(modelsUrl(this.#opts.baseUrl), { method: 'GET', headers: this.#headers() }, signal);
    try {
      if (!response.ok) throw await this.#apiError(response, aborted);
      const body = asRecord(JSON.parse(await readCapped(response, this.#opts.maxBodyBytes ?? 1 << 20, aborted)));
      const data = Array.isArray(body?.data) ? body.data : [];
      return data.map((m) => asRecord(m)?.id).filter((id): id is string => typeof id === 'string').slice(0, 1000);
    } catch (err) {
      if (err instanceof SyntaxError) throw new ProviderNoAnswerError('malformed', 'models list is not JSON');
      throw err;
    } finally {
      done();
    }
  }

  #headers(): Headers {
    const h = new Headers({ 'content-type': 'application/json', accept: 'text/event-stream, application/json' });
    for (const [k, v] of Object.entries(this.#opts.headers ?? {})) h.set(k, v);
    if (this.#opts.apiKey) h.set('authorization', `Bearer ${this.#opts.apiKey}`);
    return h;
  }

  async #once(req: ChatRequest, assembler: CompletionAssembler, signal: AbortSignal | undefined): Promise<ChatResult> {
    const stream = this.#opts.stream ?? true;
    const body: Record<string, unknown> = { ...req.extra, model: req.model, messages: req.messages, stream };
    if (req.tools && req.tools.length > 0) {
      body.tools = req.tools;
      body.tool_choice ??= 'auto';
    }
    if (stream && (this.#opts.streamUsage ?? true)) body.stream_options = { include_usage: true };
    const { response, done, idle, aborted } = await this.#send(this.chatUrl, { method: 'POST', headers: this.#headers(), body: JSON.stringify(body) }, signal);
    try {
      if (!response.ok) throw await this.#apiError(response, aborted);
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readCapped(response, this.#opts.maxBodyBytes ?? 1 << 20, aborted));
        } catch (err) {
          if (err instanceof ProviderError) throw err;
          throw new ProviderNoAnswerError('malformed', 'completion body is not JSON');
        }
        assembler.addCompletion(parsed);
        return assembler.result();
      }
      await this.#readStream(response, assembler, idle, aborted);
      return assembler.result();
    } finally {
      done();
    }
  }

  async #readStream(response: Response, assembler: CompletionAssembler, idle: () => void, aborted: Promise<never>): Promise<void> {
    if (!response.body) throw new ProviderNoAnswerError('truncated', 'stream has no body');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let sawDone = false;
    try {
      while (!sawDone) {
        // Racing the abort promise cuts off fetch implementations that ignore signals (an in-process app).
        const { value, done } = await Promise.race([reader.read(), aborted]);
        idle();
        if (done) break;
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          if (ev.data.trim() === '[DONE]') {
            sawDone = true;
            break;
          }
          if (ev.event === 'error') throw streamError(asRecord(safeJson(ev.data))?.error ?? safeJson(ev.data));
          const chunk = safeJson(ev.data);
          if (chunk === undefined) throw new ProviderNoAnswerError('malformed', 'stream event is not JSON');
          assembler.addChunk(chunk);
        }
      }
    } catch (err) {
      if (err instanceof SseOverflowError) throw new ProviderNoAnswerError('oversize', err.message);
      throw err;
    } finally {
      // Cancelling tells the server to stop generating (and billing) when we stop early or fail.
      reader.cancel().catch(() => {});
    }
    if (!sawDone && !assembler.finished) throw new ProviderNoAnswerError('truncated', 'stream ended before the completion finished');
  }

  /** One fetch with a header timeout and an idle timer; `idle()` re-arms it, `done()` clears it. */
  async #send(url: string, init: RequestInit, signal: AbortSignal | undefined): Promise<{ response: Response; done: () => void; idle: () => void; aborted: Promise<never> }> {
    const controller = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new ProviderNoAnswerError('timeout', `no response within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    };
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) throw signal.reason;
    signal?.addEventListener('abort', onAbort, { once: true });
    const maxMs = this.#opts.maxDurationMs ?? 600_000;
    const total = setTimeout(() => {
      timedOut = true;
      controller.abort(new ProviderNoAnswerError('timeout', `request took longer than ${maxMs} ms`));
    }, maxMs);
    const done = () => {
      clearTimeout(timer);
      clearTimeout(total);
      signal?.removeEventListener('abort', onAbort);
    };
    arm();
    const aborted = rejectOnAbort(controller.signal);
    aborted.catch(() => {});
    try {
      // Fetch implementations that ignore the signal (an in-process app) are still cut off by racing it.
      const response = await Promise.race([Promise.resolve(this.#fetch(url, { ...init, signal: controller.signal })), aborted]);
      return { response, done, idle: arm, aborted };
    } catch (err) {
      done();
      if (signal?.aborted) throw signal.reason;
      if (timedOut) throw new ProviderNoAnswerError('timeout', `no response within ${this.#timeoutMs} ms`);
      throw new ProviderNoAnswerError('network', `request failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  async #apiError(response: Response, aborted: Promise<never>): Promise<ProviderApiError> {
    const retryAfterMs = parseRetryAfter(response.headers, (this.#opts.now ?? Date.now)());
    let text = '';
    try {
      text = await readCapped(response, 64 * 1024, aborted);
    } catch {
      // The status is what matters; an unreadable body leaves the message generic.
    }
    const err = asRecord(asRecord(safeJson(text))?.error);
    const message = (typeof err?.message === 'string' ? err.message : text || response.statusText || 'error').slice(0, ERROR_PREVIEW);
    const code = typeof err?.code === 'string' ? err.code : typeof err?.type === 'string' ? err.type : undefined;
    return new ProviderApiError(response.status, `provider answered ${response.status}: ${message}`, {
      ...(code ? { code } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
}

/** A promise that rejects with the signal's reason when it aborts (and never resolves). */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Reads a body as text, failing as `oversize` past `maxBytes` (and cancelling the rest). */
async function readCapped(response: Response, maxBytes: number, aborted: Promise<never>): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await Promise.race([reader.read(), aborted]).catch((err: unknown) => {
      reader.cancel().catch(() => {});
      throw err;
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      throw new ProviderNoAnswerError('oversize', `response body over ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return new TextDecoder().decode(all);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  // SAFETY: checked to be a non-array object; fields are narrowed where read.
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
