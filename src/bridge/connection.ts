// A reconnecting operator connection to an OpenClaw gateway (protocol v4): challenge → connect → hello-ok,
// tick watchdog, request/response matching, jittered backoff that resets after a healthy period.
import type { Logger } from '../log.ts';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import {
  ChallengeSchema, connectParams, HelloOkSchema, InboundFrameSchema, isRetryableConnectError,
  type ClientErrorShape, type ClientIdentity, type HelloOk,
} from './protocol.ts';

/** Callbacks a socket port calls. */
export interface SocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  onClose(code: number, reason: string): void;
  onError(err: unknown): void;
}
/** The socket port: what a host's WebSocket client must offer (Node `ws`, Workers `WebSocket`). */
export interface BridgeSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}
/** Opens a socket to `url`, reporting through `handlers`. */
export type SocketFactory = (url: string, handlers: SocketHandlers) => BridgeSocket;

/** Connection state as shown by `edgeclaw bridge status`. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped' | 'failed';

/** A connect rejected for good (wrong token, protocol mismatch, missing scope): the bridge stops. */
export class BridgeFatalError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
    this.name = 'BridgeFatalError';
  }
}

/** Options of an operator connection. */
export interface ConnectionOptions {
  url: string;
  token: string;
  socket: SocketFactory;
  identity: ClientIdentity;
  scopes: readonly string[];
  log: Logger;
  backoff?: BackoffOptions;
  /** A connection that lived this long resets the backoff (default 60 s). */
  healthyResetMs?: number;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  random?: () => number;
  onHello(hello: HelloOk): void;
  onEvent(event: string, payload: unknown): void;
  onState(state: ConnectionState, detail?: string): void;
  onFatal(err: BridgeFatalError): void;
  onBadFrame(why: string): void;
}

const MAX_PENDING = 256;
const MAX_FRAME_CHARS = 4 * 1024 * 1024;

/** One logical connection that keeps itself up until `stop()` or a fatal connect error. */
export class OperatorConnection {
  #socket: BridgeSocket | null = null;
  #state: ConnectionState = 'idle';
  #seq = 0;
  #pending = new Map<string, { resolve(p: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #watchdog: ReturnType<typeof setTimeout> | null = null;
  #tickMs = 30_000;
  #connectedAt: number | null = null;
  #retryAfterMs = 0;
  #generation = 0;
  readonly #backoff: Backoff;

  readonly #o: ConnectionOptions;
  constructor(o: ConnectionOptions) {
    this.#o = o;
    this.#backoff = new Backoff(o.backoff ?? DEFAULT_BACKOFF, o.random);
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Opens the first connection. */
  start(): void {
    if (this.#state === 'idle') this.#open();
  }

  /** Closes for good (no reconnect). A failed connection stays `failed`, so its status keeps the reason. */
  stop(): void {
    if (this.#state !== 'failed') this.#setState('stopped');
    this.#teardown();
    this.#socket?.close(1000, 'bridge stopping');
    this.#socket = null;
  }

  /** Sends a request after hello-ok and resolves with its payload (rejects on error, timeout or disconnect). */
  request(method: string, params: unknown): Promise<unknown> {
    if (this.#state !== 'connected') return Promise.reject(new Error('not connected'));
    return this.#send(method, params);
  }

  #send(method: string, params: unknown): Promise<unknown> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new Error('not connected'));
    if (this.#pending.size >= MAX_PENDING) return Promise.reject(new Error('too many pending requests'));
    const id = `${++this.#seq}:${crypto.randomUUID()}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, this.#o.requestTimeoutMs ?? 30_000);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        socket.send(JSON.stringify({ type: 'req', id, method, params }));
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  #setState(state: ConnectionState, detail?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#o.onState(state, detail);
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #teardown(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = null;
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new Error('connection closed'));
    }
    this.#pending.clear();
  }

  #open(): void {
    this.#setState('connecting');
    this.#retryAfterMs = 0;
    this.#connectedAt = null;
    const gen = ++this.#generation;
    const live = () => gen === this.#generation && this.#state !== 'stopped' && this.#state !== 'failed';
    try {
      this.#socket = this.#o.socket(this.#o.url, {
        onOpen: () => {},
        onMessage: (text) => live() && this.#onMessage(text),
        onError: (err) => live() && this.#o.log.debug('bridge socket error', { err: String(err) }),
        onClose: (code, reason) => live() && this.#onClose(code, reason),
      });
    } catch (err) {
      this.#o.log.warn('bridge connect failed', { err: String(err) });
      this.#onClose(1006, String(err));
      return;
    }
    this.#later(this.#o.handshakeTimeoutMs ?? 15_000, () => {
      if (live() && this.#state === 'connecting') this.#socket?.close(1008, 'connect challenge timeout');
    });
  }

  #onClose(code: number, reason: string): void {
    const healthyFor = this.#connectedAt === null ? 0 : Date.now() - this.#connectedAt;
    this.#teardown();
    this.#socket = null;
    this.#generation++;
    if (healthyFor >= (this.#o.healthyResetMs ?? 60_000)) this.#backoff.reset();
    const delay = Math.min(Math.max(this.#backoff.next(), this.#retryAfterMs), 5 * 60_000);
    this.#o.log.warn('bridge disconnected', { code, reason: reason.slice(0, 200), retryInMs: delay, attempt: this.#backoff.attempt });
    this.#setState('backoff', `closed ${code}${reason ? ` ${reason.slice(0, 120)}` : ''}`);
    this.#later(delay, () => this.#state === 'backoff' && this.#open());
  }

  #armWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      this.#o.log.warn('bridge tick timeout', { silentMs: 2 * this.#tickMs });
      this.#socket?.close(4000, 'tick timeout');
    }, 2 * this.#tickMs);
  }

  #onMessage(text: string): void {
    if (this.#state === 'connected') this.#armWatchdog();
    if (text.length > MAX_FRAME_CHARS) return this.#o.onBadFrame('frame too large');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.#o.onBadFrame('not JSON');
    }
    const parsed = InboundFrameSchema.safeParse(raw);
    if (!parsed.success) return this.#o.onBadFrame(`unknown frame: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const frame = parsed.data;
    if (frame.type === 'res') {
      const p = this.#pending.get(frame.id);
      if (!p) return; // late or unknown response: ignore
      this.#pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.ok) p.resolve(frame.payload);
      else p.reject(Object.assign(new Error(frame.error?.message ?? 'request failed'), { shape: frame.error }));
      return;
    }
    if (frame.event === 'connect.challenge') return this.#onChallenge(frame.payload);
    if (this.#state === 'connected') this.#o.onEvent(frame.event, frame.payload);
  }

  #onChallenge(payload: unknown): void {
    if (this.#state !== 'connecting') return;
    if (!ChallengeSchema.safeParse(payload).success) {
      this.#o.onBadFrame('connect.challenge without nonce');
      this.#socket?.close(1008, 'bad connect challenge');
      return;
    }
    this.#send('connect', connectParams(this.#o.token, this.#o.identity, this.#o.scopes)).then(
      (hello) => this.#onHello(hello),
      (err: Error & { shape?: ClientErrorShape }) => this.#onConnectError(err),
    );
  }

  #onHello(payload: unknown): void {
    const hello = HelloOkSchema.safeParse(payload);
    if (!hello.success) {
      this.#o.onBadFrame(`bad hello-ok: ${hello.error.issues[0]?.message ?? 'invalid'}`);
      this.#socket?.close(1002, 'bad hello-ok');
      return;
    }
    if (!hello.data.auth.scopes.includes('operator.approvals')) {
      return this.#fail(new BridgeFatalError('gateway did not grant operator.approvals to the bridge', 'MISSING_SCOPE'));
    }
    this.#tickMs = hello.data.policy.tickIntervalMs;
    this.#connectedAt = Date.now();
    this.#setState('connected', `server ${hello.data.server.version}`);
    this.#armWatchdog();
    this.#o.onHello(hello.data);
  }

  #onConnectError(err: Error & { shape?: ClientErrorShape }): void {
    if (this.#state !== 'connecting') return;
    const shape = err.shape;
    if (shape && !isRetryableConnectError(shape)) {
      const code = String(shape.details?.code ?? shape.code);
      return this.#fail(new BridgeFatalError(`gateway rejected connect: ${shape.message} (${code})`, code));
    }
    this.#retryAfterMs = Math.min(shape?.retryAfterMs ?? 0, 60_000);
    this.#o.log.info('bridge connect deferred', { message: err.message, retryAfterMs: this.#retryAfterMs });
    this.#socket?.close(1000, 'retry later');
  }

  #fail(err: BridgeFatalError): void {
    this.#setState('failed', err.message);
    this.#teardown();
    this.#socket?.close(1000, 'bridge giving up');
    this.#socket = null;
    this.#o.onFatal(err);
  }
}
