/**
 * Hibernatable WebSockets for the Node host: a workerd-shaped socket (send/close/attachment/
 * bufferedAmount) over a `ws` socket, and the per-object registry behind `ctx.acceptWebSocket` and
 * `ctx.getWebSockets`. Node never hibernates, so this is the same contract without the sleep.
 * https://developers.cloudflare.com/durable-objects/best-practices/websockets/
 */
import { deserialize, serialize } from 'node:v8';
import type { WebSocket as WsSocket } from 'ws';

/** workerd's attachment limit. */
const MAX_ATTACHMENT_BYTES = 16_384;

/** Freezes a value and everything reachable from it (attachments are small plain data). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A server-side socket as durable objects see it. */
export class NodeHibernatableSocket {
  readonly #ws: WsSocket;
  #attachment: unknown = null;
  #closing = false;

  constructor(ws: WsSocket) {
    this.#ws = ws;
  }

  /** The underlying `ws` socket (host use). */
  get raw(): WsSocket {
    return this.#ws;
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  /** Bytes queued but not yet written to the network (real on Node; workerd reports nothing). */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Sends a text frame; like workerd, sending on a closed socket throws. */
  send(data: string | ArrayBuffer): void {
    if (this.#ws.readyState !== this.#ws.OPEN) throw new Error('Cannot send on a closed WebSocket');
    this.#ws.send(typeof data === 'string' ? data : Buffer.from(data));
  }

  /** Closes; a second close is a no-op, and 1005/1006 are refused as in workerd. */
  close(code = 1000, reason = ''): void {
    if (code === 1005 || code === 1006) throw new TypeError(`Invalid WebSocket close code: ${code}`);
    if (this.#closing || this.#ws.readyState >= this.#ws.CLOSING) return;
    this.#closing = true;
    this.#ws.close(code, reason);
  }

  /** Stores a deep-frozen copy (serialized once: workerd's size limit is checked on the same bytes). */
  serializeAttachment(value: unknown): void {
    // The serialized form is not kept: that would pin V8's (larger) serializer buffer per socket.
    const bytes = serialize(value);
    if (bytes.byteLength > MAX_ATTACHMENT_BYTES) throw new Error(`A WebSocket 'attachment' cannot be larger than ${MAX_ATTACHMENT_BYTES} bytes`);
    this.#attachment = deepFreeze(deserialize(bytes));
  }

  /**
   * The stored attachment. workerd hands out a fresh copy each time; here it is the one frozen copy, so a
   * caller that mutates it instead of serializing a new object fails loudly on Node rather than diverging
   * from workerd, and reading it (every frame and every event) costs no clone.
   */
  deserializeAttachment(): unknown {
    return this.#attachment;
  }
}

/** Handlers a durable object may define for its sockets. */
export interface SocketHandlers {
  message(sock: NodeHibernatableSocket, data: string | ArrayBuffer): Promise<void>;
  close(sock: NodeHibernatableSocket, code: number, reason: string, wasClean: boolean): Promise<void>;
  error(sock: NodeHibernatableSocket, err: unknown): Promise<void>;
}

/** The sockets one object accepted, with their tags. */
export class SocketSet {
  readonly #sockets = new Map<NodeHibernatableSocket, string[]>();
  readonly #handlers: SocketHandlers;
  readonly #max: number;

  constructor(handlers: SocketHandlers, max: number) {
    this.#handlers = handlers;
    this.#max = max;
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** `ctx.acceptWebSocket`: wires the socket's events to the object's handlers. Over the cap → closed 1013. */
  accept(sock: NodeHibernatableSocket, tags: string[] = []): void {
    if (!(sock instanceof NodeHibernatableSocket)) throw new TypeError('acceptWebSocket expects a socket from the host');
    if (this.#sockets.size >= this.#max) {
      sock.close(1013, 'too many connections; retry later');
      return;
    }
    this.#sockets.set(sock, tags);
    const ws = sock.raw;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // `ws` hands over Buffers even for text frames.
      const payload = isBinary ? (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer) : data.toString('utf8');
      void this.#handlers.message(sock, payload);
    });
    ws.once('close', (code: number, reason: Buffer) => {
      this.#sockets.delete(sock);
      void this.#handlers.close(sock, code, reason.toString('utf8'), code === 1000 || code === 1001);
    });
    ws.on('error', (err: unknown) => void this.#handlers.error(sock, err));
  }

  /** `ctx.getWebSockets(tag?)`: open sockets (optionally with a tag). */
  list(tag?: string): NodeHibernatableSocket[] {
    return [...this.#sockets].filter(([s, tags]) => s.readyState === s.raw.OPEN && (tag === undefined || tags.includes(tag))).map(([s]) => s);
  }

  /** `ctx.getTags(ws)`. */
  tags(sock: NodeHibernatableSocket): string[] {
    return [...(this.#sockets.get(sock) ?? [])];
  }

  /** Closes every socket (host shutdown). */
  closeAll(code: number, reason: string): void {
    for (const s of this.#sockets.keys()) s.close(code, reason);
  }
}
