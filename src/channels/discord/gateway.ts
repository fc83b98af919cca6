/**
 * The Discord Gateway protocol (https://discord.com/developers/docs/events/gateway) as a small state
 * machine over an injected socket, so the logic is runtime-neutral and the Node host supplies `ws`:
 * HELLO → IDENTIFY (or RESUME with session_id and seq after a reconnect), heartbeats with zombie
 * detection, RECONNECT / INVALID_SESSION handling, fatal close codes, and backoff with jitter.
 *
 * Dispatches are handled one at a time, in order. The sequence number sent on RESUME is the last one
 * *handled*, not the last one received: whatever was received but not yet handed to a session (a crash
 * of the handler, a backlog over the cap, a dropped connection) is replayed by Discord, and the session's
 * dedupe on the message id makes the replay harmless. The host saves that position (`onCheckpoint`) and
 * hands it to the next process (`resume`), so a restart RESUMEs too instead of losing what arrived meanwhile.
 */

/** The socket surface used. */
export interface GatewaySocket {
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** Socket events delivered to the client. */
export interface GatewaySocketHandlers {
  message(data: string): void;
  close(code: number, reason: string): void;
}

/** Opens a socket to `url`. */
export type GatewayConnect = (url: string, handlers: GatewaySocketHandlers) => GatewaySocket;

/** Injected time (tests drive heartbeats and backoff deterministically). */
export interface GatewayTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
  now(): number;
}

/** Real timers. */
export const REAL_TIMERS: GatewayTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  random: Math.random,
  now: Date.now,
};

/** What the client reports. */
export interface GatewayState {
  running: boolean;
  connected: boolean;
  sessionId: string | null;
  resumeUrl: string | null;
  /** Last sequence number received. */
  seq: number | null;
  /** Last sequence number whose dispatch was handled (what RESUME sends). */
  handledSeq: number | null;
  botUserId: string | null;
  reconnectAttempts: number;
  identifies: number;
  resumes: number;
  lastError: string | null;
  lastConnectedAt: number | null;
}

/** What a later process needs to RESUME this session instead of starting a new one (and losing what it missed). */
export interface GatewayCheckpoint {
  sessionId: string;
  resumeUrl: string;
  /** Last sequence number whose dispatch was handled. */
  handledSeq: number;
}

/** Client options. */
export interface DiscordGatewayOptions {
  readonly token: string;
  readonly intents: number;
  /** The Gateway URL (`GET /gateway/bot`), asked before each fresh IDENTIFY. */
  resolveUrl(): Promise<string>;
  readonly connect: GatewayConnect;
  /** Handles one dispatch (`MESSAGE_CREATE`, …); a throw makes the client resume from before it. */
  onDispatch(type: string, data: unknown, botUserId: string | null): Promise<void>;
  /** Lifecycle notes (connected, disconnected, fatal) for status records. */
  onLifecycle?(event: 'connected' | 'disconnected' | 'fatal', state: Readonly<GatewayState>): void;
  readonly timers?: GatewayTimers;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Dispatches waiting to be handled at most; past it the connection is dropped and resumed later. */
  readonly maxPending?: number;
  /** A session a previous process saved: the first connection RESUMEs it (Discord replays what was missed). */
  readonly resume?: GatewayCheckpoint | null;
  /** Called when the resumable position changes (null: the session ended and cannot be resumed). */
  onCheckpoint?(checkpoint: GatewayCheckpoint | null): void;
}

/** Gateway opcodes used. */
export const OP = { DISPATCH: 0, HEARTBEAT: 1, IDENTIFY: 2, RESUME: 6, RECONNECT: 7, INVALID_SESSION: 9, HELLO: 10, HEARTBEAT_ACK: 11 } as const;
/** Close codes after which reconnecting cannot help (bad token, bad intents, …). */
export const FATAL_CLOSE_CODES = new Set([4004, 4010, 4011, 4012, 4013, 4014]);
/** Close codes after which the session cannot be resumed. */
const RESET_CLOSE_CODES = new Set([4007, 4009]);
/** Default cap of the dispatch backlog. */
export const DEFAULT_MAX_PENDING = 256;

/**
 * One Gateway connection (one bot). `start()` connects; `stop()` closes for good.
 * @example new DiscordGatewayClient({ token, intents, resolveUrl, connect, onDispatch }).start()
 */
export class DiscordGatewayClient {
  readonly #o: DiscordGatewayOptions;
  readonly #t: GatewayTimers;
  readonly #state: GatewayState = { running: false, connected: false, sessionId: null, resumeUrl: null, seq: null, handledSeq: null, botUserId: null, reconnectAttempts: 0, identifies: 0, resumes: 0, lastError: null, lastConnectedAt: null };
  #socket: GatewaySocket | null = null;
  #gen = 0;
  #heartbeat: unknown = null;
  #reconnect: unknown = null;
  #acked = true;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(options: DiscordGatewayOptions) {
    this.#o = options;
    this.#t = options.timers ?? REAL_TIMERS;
    const r = options.resume;
    if (r) Object.assign(this.#state, { sessionId: r.sessionId, resumeUrl: r.resumeUrl, handledSeq: r.handledSeq });
  }

  /** Reports the resumable position (or that there is none). */
  #checkpoint(): void {
    const s = this.#state;
    this.#o.onCheckpoint?.(s.sessionId && s.resumeUrl && s.handledSeq !== null ? { sessionId: s.sessionId, resumeUrl: s.resumeUrl, handledSeq: s.handledSeq } : null);
  }

  /** Forgets the session: the next connection IDENTIFYs. */
  #resetSession(): void {
    this.#state.sessionId = null;
    this.#state.handledSeq = null;
    this.#checkpoint();
  }

  /** A copy of the current state. */
  state(): GatewayState {
    return { ...this.#state };
  }

  /** Connects (no-op while running). */
  start(): void {
    if (this.#state.running) return;
    this.#state.running = true;
    this.#state.lastError = null;
    void this.#connect();
  }

  /** Closes the connection and stops reconnecting. */
  stop(): void {
    this.#state.running = false;
    this.#drop(1000, 'stopped');
  }

  async #connect(): Promise<void> {
    const gen = ++this.#gen;
    let base: string;
    try {
      base = this.#state.sessionId && this.#state.resumeUrl ? this.#state.resumeUrl : await this.#o.resolveUrl();
    } catch (err) {
      this.#state.lastError = `gateway url: ${err instanceof Error ? err.message.slice(0, 200) : 'failed'}`;
      if (gen === this.#gen) this.#scheduleReconnect();
      return;
    }
    if (gen !== this.#gen || !this.#state.running) return;
    const url = `${base.replace(/\/+$/, '')}/?v=10&encoding=json`;
    try {
      this.#socket = this.#o.connect(url, {
        message: (data) => gen === this.#gen && this.#onMessage(data, gen),
        close: (code, reason) => gen === this.#gen && this.#onClose(code, reason),
      });
    } catch (err) {
      this.#state.lastError = `connect: ${err instanceof Error ? err.message.slice(0, 200) : 'failed'}`;
      this.#scheduleReconnect();
    }
  }

  #send(payload: unknown): void {
    try {
      this.#socket?.send(JSON.stringify(payload));
    } catch {
      // the close event follows and reconnects
    }
  }

  #onMessage(raw: string, gen: number): void {
    let msg: { op?: unknown; d?: unknown; s?: unknown; t?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return;
    }
    switch (msg.op) {
      case OP.HELLO: {
        const interval = (msg.d as { heartbeat_interval?: unknown } | null)?.heartbeat_interval;
        this.#startHeartbeat(typeof interval === 'number' && interval > 0 ? interval : 41_250);
        const s = this.#state;
        if (s.sessionId && s.handledSeq !== null) this.#send({ op: OP.RESUME, d: { token: this.#o.token, session_id: s.sessionId, seq: s.handledSeq } });
        else this.#send({ op: OP.IDENTIFY, d: { token: this.#o.token, intents: this.#o.intents, properties: { os: 'linux', browser: 'edgeclaw', device: 'edgeclaw' } } });
        return;
      }
      case OP.HEARTBEAT:
        this.#send({ op: OP.HEARTBEAT, d: this.#state.seq });
        return;
      case OP.HEARTBEAT_ACK:
        this.#acked = true;
        return;
      case OP.RECONNECT:
        this.#restart(4000, 'reconnect requested');
        return;
      case OP.INVALID_SESSION:
        if (msg.d !== true) this.#resetSession();
        this.#restart(4000, 'invalid session');
        return;
      case OP.DISPATCH:
        this.#onDispatch(msg, gen);
        return;
    }
  }

  #onDispatch(msg: { d?: unknown; s?: unknown; t?: unknown }, gen: number): void {
    const s = typeof msg.s === 'number' ? msg.s : null;
    if (s !== null) this.#state.seq = Math.max(this.#state.seq ?? 0, s);
    const type = typeof msg.t === 'string' ? msg.t : '';
    if (type === 'READY' || type === 'RESUMED') {
      if (type === 'READY') {
        const d = msg.d as { session_id?: unknown; resume_gateway_url?: unknown; user?: { id?: unknown } } | null;
        this.#state.sessionId = typeof d?.session_id === 'string' ? d.session_id : null;
        this.#state.resumeUrl = typeof d?.resume_gateway_url === 'string' ? d.resume_gateway_url : null;
        this.#state.botUserId = typeof d?.user?.id === 'string' ? d.user.id : null;
        // A new session starts here: nothing before READY needs handling.
        this.#state.handledSeq = s;
        this.#state.identifies++;
        this.#checkpoint();
      } else this.#state.resumes++;
      this.#state.connected = true;
      this.#state.lastError = null;
      this.#state.reconnectAttempts = 0;
      this.#state.lastConnectedAt = this.#t.now();
      this.#o.onLifecycle?.('connected', this.#state);
    }
    if (type === 'READY') return;
    if (this.#pending >= (this.#o.maxPending ?? DEFAULT_MAX_PENDING)) {
      this.#state.lastError = 'dispatch backlog full; resuming later';
      this.#restart(4000, 'backlog full');
      return;
    }
    this.#pending++;
    const handle = type === 'RESUMED' ? null : type;
    this.#queue = this.#queue.then(async () => {
      try {
        // A newer connection resumes from handledSeq, so Discord replays what this one did not finish.
        if (gen !== this.#gen) return;
        if (handle) await this.#o.onDispatch(handle, msg.d, this.#state.botUserId);
        if (s !== null && gen === this.#gen && s > (this.#state.handledSeq ?? -1)) {
          this.#state.handledSeq = s;
          this.#checkpoint();
        }
      } catch (err) {
        this.#state.lastError = `dispatch ${handle}: ${err instanceof Error ? err.message.slice(0, 200) : 'failed'}`;
        if (gen === this.#gen) this.#restart(4000, 'dispatch failed');
      } finally {
        this.#pending--;
      }
    });
  }

  #startHeartbeat(interval: number): void {
    this.#stopHeartbeat();
    this.#acked = true;
    const beat = () => {
      if (!this.#acked) {
        // No ACK since the last beat: the connection is a zombie (https://discord.com/developers/docs/events/gateway#sending-heartbeats).
        this.#state.lastError = 'heartbeat not acknowledged';
        this.#restart(4000, 'zombie connection');
        return;
      }
      this.#acked = false;
      this.#send({ op: OP.HEARTBEAT, d: this.#state.seq });
      this.#heartbeat = this.#t.setTimeout(beat, interval);
    };
    this.#heartbeat = this.#t.setTimeout(beat, Math.round(interval * this.#t.random()));
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== null) this.#t.clearTimeout(this.#heartbeat);
    this.#heartbeat = null;
  }

  /** Closes the current socket now (its later events are ignored) without reconnecting. */
  #drop(code: number, reason: string): void {
    this.#gen++;
    this.#stopHeartbeat();
    if (this.#reconnect !== null) this.#t.clearTimeout(this.#reconnect);
    this.#reconnect = null;
    const socket = this.#socket;
    this.#socket = null;
    const was = this.#state.connected;
    this.#state.connected = false;
    try {
      socket?.close(code, reason);
    } catch {
      // already closed
    }
    if (was) this.#o.onLifecycle?.('disconnected', this.#state);
  }

  /** Drops the connection and reconnects (resuming when the session allows it). */
  #restart(code: number, reason: string): void {
    this.#drop(code, reason);
    if (this.#state.running) this.#scheduleReconnect();
  }

  #onClose(code: number, reason: string): void {
    this.#drop(1000, 'closed');
    if (!this.#state.running) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.#state.running = false;
      this.#state.lastError = `gateway closed ${code}${reason ? `: ${reason.slice(0, 100)}` : ''} (not retried; check the token and intents)`;
      this.#o.onLifecycle?.('fatal', this.#state);
      return;
    }
    if (RESET_CLOSE_CODES.has(code)) this.#resetSession();
    if (code !== 1000) this.#state.lastError = `gateway closed ${code}${reason ? `: ${reason.slice(0, 100)}` : ''}`;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (!this.#state.running || this.#reconnect !== null) return;
    const n = ++this.#state.reconnectAttempts;
    const { baseMs, maxMs } = this.#o.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
    const exp = Math.min(maxMs, baseMs * 2 ** Math.min(16, n - 1));
    this.#reconnect = this.#t.setTimeout(() => {
      this.#reconnect = null;
      void this.#connect();
    }, Math.round(exp / 2 + (this.#t.random() * exp) / 2));
  }
}
