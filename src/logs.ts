/** The log tail port (`env.LOGS`): hosts that keep recent log lines in memory offer it; Workers do not. */

/** A page of log lines from `cursor` on. */
export interface LogPage {
  file: string;
  cursor: number;
  size: number;
  lines: string[];
  truncated?: boolean;
  reset?: boolean;
}

/** What `logs.tail` reads. */
export interface LogTail {
  tail(opts: { cursor?: number; limit: number; maxBytes: number }): LogPage;
}

/**
 * A bounded ring of recent log lines: at most `maxLines` lines and `maxBytes` bytes; the oldest go
 * first. Cursors are line sequence numbers, so a reader that fell behind gets `reset: true`.
 */
export class LogRing implements LogTail {
  readonly #lines: { seq: number; text: string }[] = [];
  readonly #maxLines: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #seq = 0;

  constructor(maxLines = 2_000, maxBytes = 1_000_000) {
    this.#maxLines = maxLines;
    this.#maxBytes = maxBytes;
  }

  /** Appends one line (over-long lines are cut to maxBytes). */
  push(line: string): void {
    const text = line.length > this.#maxBytes ? line.slice(0, this.#maxBytes) : line;
    this.#lines.push({ seq: ++this.#seq, text });
    this.#bytes += text.length;
    while (this.#lines.length > this.#maxLines || this.#bytes > this.#maxBytes) this.#bytes -= this.#lines.shift()!.text.length;
  }

  tail({ cursor, limit, maxBytes }: { cursor?: number; limit: number; maxBytes: number }): LogPage {
    const first = this.#lines[0]?.seq ?? this.#seq + 1;
    const reset = cursor !== undefined && cursor + 1 < first;
    const from = cursor === undefined ? Math.max(0, this.#lines.length - limit) : this.#lines.findIndex((l) => l.seq > cursor);
    const out: string[] = [];
    let bytes = 0;
    let last = cursor ?? first - 1;
    for (let i = from < 0 ? this.#lines.length : from; i < this.#lines.length && out.length < limit; i++) {
      const l = this.#lines[i]!;
      if (bytes + l.text.length > maxBytes && out.length > 0) break;
      out.push(l.text);
      bytes += l.text.length;
      last = l.seq;
    }
    const truncated = last < this.#seq;
    return { file: 'memory:ring', cursor: last, size: this.#bytes, lines: out, ...(truncated ? { truncated } : {}), ...(reset ? { reset } : {}) };
  }
}
