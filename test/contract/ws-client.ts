/** A tiny frame-queue client over any WebSocket-like object, so gateway tests read linearly on both hosts. */

/** The socket surface both hosts' clients offer (workerd's WebSocket and the `ws` package). */
export interface WsLike {
  send(data: string | ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
  addEventListener(type: 'close', fn: (e: { code: number; reason: string }) => void): void;
}

/** A parsed frame. */
export type Frame = { type: string; id?: string; ok?: boolean; event?: string; payload?: any; error?: any; seq?: number };

/** Frame queue with awaitable reads. */
export class FrameClient {
  readonly #frames: Frame[] = [];
  readonly #waiters: (() => void)[] = [];
  #closed: { code: number; reason: string } | null = null;
  readonly ws: WsLike;
  #n = 0;

  constructor(ws: WsLike) {
    this.ws = ws;
    ws.addEventListener('message', (e) => {
      this.#frames.push(JSON.parse(String(e.data)) as Frame);
      this.#wake();
    });
    ws.addEventListener('close', (e) => {
      this.#closed = { code: e.code, reason: e.reason };
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async #until<T>(pick: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pick();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next frame matching `pred` (removed from the queue). */
  next(pred: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    return this.#until(() => {
      const i = this.#frames.findIndex(pred);
      return i >= 0 ? this.#frames.splice(i, 1)[0] : undefined;
    }, timeoutMs, 'frame');
  }

  /** Sends a request and returns its (first) response. */
  async req(method: string, params?: unknown): Promise<Frame> {
    const id = `${++this.#n}:${method}`;
    this.ws.send(JSON.stringify({ type: 'req', id, method, ...(params === undefined ? {} : { params }) }));
    return this.next((f) => f.type === 'res' && f.id === id);
  }

  /** Resolves when the socket closed, with code and reason. */
  closed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return this.#until(() => this.#closed ?? undefined, timeoutMs, 'close');
  }

  /** Whether the server closed the socket. */
  get isClosed(): boolean {
    return this.#closed !== null;
  }
}

/** connect params as the openclaw CLI sends them. */
export function connectParams(auth: Record<string, string>, scopes?: string[], extra: Record<string, unknown> = {}) {
  return {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'cli', version: '2026.9.6', platform: 'linux', mode: 'cli', instanceId: crypto.randomUUID() },
    caps: [],
    auth,
    role: 'operator',
    ...(scopes ? { scopes } : {}),
    ...extra,
  };
}
