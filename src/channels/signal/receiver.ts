/**
 * Receives from a signal-cli daemon's Server-Sent Events stream (`GET /api/v1/events`, one `receive`
 * event per message, each with an `id`). Events are handled one at a time, in order. The stream is
 * reopened with `Last-Event-ID` = the last event *handled*, so an event whose hand-off failed, or that
 * arrived while the stream was down, is sent again by the daemon (it keeps the last 1,000); the
 * session's dedupe on source + timestamp makes a repeat harmless. The host saves that id (`onCheckpoint`) and
 * hands it to the next process (`lastEventId`), so a restart resumes the stream too. Runs on Node.
 */

/** One SSE event. */
export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

/** Receiver options. */
export interface SignalReceiverOptions {
  /** `<daemon>/api/v1/events` (with `?account=` in multi-account mode). */
  readonly url: string;
  readonly fetch?: typeof fetch;
  /** Handles the data of one `receive` event; a throw reopens the stream before it. */
  onEvent(data: string): Promise<void>;
  onLifecycle?(event: 'connected' | 'disconnected', state: Readonly<ReceiverState>): void;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Largest single event accepted (bytes of text); a bigger one drops the stream. */
  readonly maxEventBytes?: number;
  readonly random?: () => number;
  /** The last handled event id a previous process saved: the first request resumes after it. */
  readonly lastEventId?: string | null;
  /** Called when the last handled event id changes (save it for the next process). */
  onCheckpoint?(lastEventId: string): void;
}

/** What the receiver reports. */
export interface ReceiverState {
  running: boolean;
  connected: boolean;
  lastEventId: string | null;
  reconnectAttempts: number;
  handled: number;
  lastError: string | null;
  lastConnectedAt: number | null;
}

/** Default cap of one event (signal-cli events are a few KB; attachments are referenced, not inlined). */
export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

/**
 * Splits SSE text into complete events; returns them and the unfinished rest.
 * @example parseSse('id: 1\nevent: receive\ndata: {}\n\n') → { events: [{ id: '1', event: 'receive', data: '{}' }], rest: '' }
 */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n', start)) {
    const block = text.slice(start, end);
    start = end + 2;
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || id !== null) events.push({ id, event, data: data.join('\n') });
  }
  return { events, rest: text.slice(start) };
}

/**
 * One event stream. `start()` opens it (and keeps reopening it); `stop()` closes it for good.
 * @example new SignalReceiver({ url: `${account.url}/api/v1/events`, onEvent }).start()
 */
export class SignalReceiver {
  readonly #o: SignalReceiverOptions;
  readonly #state: ReceiverState = { running: false, connected: false, lastEventId: null, reconnectAttempts: 0, handled: 0, lastError: null, lastConnectedAt: null };
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(options: SignalReceiverOptions) {
    this.#o = options;
    this.#state.lastEventId = options.lastEventId ?? null;
  }

  #advance(id: string): void {
    if (id === this.#state.lastEventId) return;
    this.#state.lastEventId = id;
    this.#o.onCheckpoint?.(id);
  }

  /** A copy of the current state. */
  state(): ReceiverState {
    return { ...this.#state };
  }

  /** Opens the stream (no-op while running). */
  start(): void {
    if (this.#state.running) return;
    this.#state.running = true;
    this.#loop = this.#run();
  }

  /** Closes the stream; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#state.running = false;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#state.running) {
      const ok = await this.#once();
      if (!this.#state.running) break;
      if (ok) this.#state.reconnectAttempts = 0;
      const n = ++this.#state.reconnectAttempts;
      const { baseMs, maxMs } = this.#o.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
      const exp = Math.min(maxMs, baseMs * 2 ** Math.min(16, n - 1));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.round(exp / 2 + ((this.#o.random ?? Math.random)() * exp) / 2));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** One connection; true when it delivered at least one event before ending. */
  async #once(): Promise<boolean> {
    const abort = new AbortController();
    this.#abort = abort;
    const max = this.#o.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    let progressed = false;
    try {
      const res = await (this.#o.fetch ?? fetch)(this.#o.url, {
        headers: { accept: 'text/event-stream', ...(this.#state.lastEventId ? { 'last-event-id': this.#state.lastEventId } : {}) },
        signal: abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`events answered HTTP ${res.status}`);
      this.#state.connected = true;
      this.#state.lastConnectedAt = Date.now();
      this.#o.onLifecycle?.('connected', this.#state);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended');
        buffer += value;
        const { events, rest } = parseSse(buffer);
        if (rest.length > max) {
          // Skip the oversized event: reopen after its id, so the daemon does not send it again.
          const id = /^id: ?(.*)$/m.exec(rest)?.[1];
          if (id !== undefined) this.#advance(id);
          throw new Error(`event ${id ?? '(no id)'} larger than ${max} bytes; skipped`);
        }
        buffer = rest;
        for (const e of events) {
          if (e.data.length > max) this.#state.lastError = `event ${e.id ?? '(no id)'} larger than ${max} bytes; skipped`;
          else if (e.event === 'receive') await this.#o.onEvent(e.data);
          if (e.id !== null) this.#advance(e.id);
          this.#state.handled++;
          progressed = true;
        }
      }
    } catch (err) {
      if (this.#state.running) this.#state.lastError = err instanceof Error ? err.message.slice(0, 200) : 'stream failed';
    } finally {
      abort.abort();
      if (this.#state.connected) {
        this.#state.connected = false;
        this.#o.onLifecycle?.('disconnected', this.#state);
      }
    }
    return progressed;
  }
}
