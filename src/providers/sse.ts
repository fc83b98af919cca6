// Incremental Server-Sent Events parser (WHATWG HTML §9.2.6): feed it decoded text in arbitrary chunks.

/** One dispatched SSE event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Raised when one event grows past the parser's cap (a stream that never sends a blank line). */
export class SseOverflowError extends Error {
  override readonly name = 'SseOverflowError';
}

/**
 * Parses an SSE stream incrementally. Lines may end in CRLF, LF or CR, split anywhere across chunks;
 * `:` lines are comments; `data` lines of one event are joined with `\n`. Bounded by `maxEventBytes`.
 * @example const p = new SseParser(); for (const ev of p.push('data: hi\n\n')) console.log(ev.data);
 */
export class SseParser {
  readonly #maxEventBytes: number;
  #buffer = '';
  #pendingCr = false;
  #started = false;
  #data: string[] = [];
  #dataBytes = 0;
  #event = '';
  #id: string | undefined;

  constructor(maxEventBytes = 4 * 1024 * 1024) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Feeds one chunk of decoded text; returns the events completed by it. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR ending the previous chunk already ended a line; a LF right after it belongs to that CRLF.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buffer + text.slice(start, i), out);
      this.#buffer = '';
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.#buffer += text.slice(start);
    if (this.#buffer.length + this.#dataBytes > this.#maxEventBytes) {
      throw new SseOverflowError(`SSE event larger than ${this.#maxEventBytes} bytes`);
    }
    return out;
  }

  /** Ends the stream. Per the spec an event without its closing blank line is discarded. */
  end(): { incomplete: boolean } {
    const incomplete = this.#buffer.length > 0 || this.#data.length > 0;
    this.#buffer = '';
    this.#data = [];
    this.#dataBytes = 0;
    return { incomplete };
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({ event: this.#event || 'message', data: this.#data.join('\n'), ...(this.#id !== undefined ? { id: this.#id } : {}) });
      }
      this.#data = [];
      this.#dataBytes = 0;
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#dataBytes += value.length + 1;
      if (this.#dataBytes > this.#maxEventBytes) throw new SseOverflowError(`SSE event larger than ${this.#maxEventBytes} bytes`);
      this.#data.push(value);
    } else if (field === 'event') {
      this.#event = value;
    } else if (field === 'id' && !value.includes('\0')) {
      this.#id = value;
    }
    // `retry` and unknown fields are ignored: the client does its own reconnect policy.
  }
}
