/**
 * Hosts Durable Object classes in-process on Node, with the guarantees edgeclaw relies on from workerd:
 * one live instance per id, per-object SQLite storage (one file per object), blockConcurrencyWhile,
 * input gates (events are delivered in arrival order and never while the object is blocked), persisted
 * alarms that fire after a restart (with workerd's retry policy), and bounded residency (LRU eviction).
 * https://developers.cloudflare.com/durable-objects/api/
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../src/log.ts';
import type { RegistryFigure } from '../src/metrics.ts';
import { AlarmScheduler } from './alarms.ts';
import { NodeDurableObjectStorage } from './do-storage.ts';
import { openDatabase } from './sqlite.ts';
import { NodeHibernatableSocket, SocketSet } from './do-websocket.ts';
import type { WebSocket as WsSocket } from 'ws';

/** A Durable Object class as the host constructs it. */
export type DurableObjectClass = new (ctx: never, env: never) => object;
/** Imports a Durable Object class on first use (a dynamic `import()`), so an unused class costs no memory. */
export type DurableObjectLoader<T extends object = object> = () => Promise<new (ctx: never, env: never) => T>;

/** Alarm retry policy, as workerd: up to 6 retries with exponential backoff from 2 s. */
const ALARM_MAX_RETRIES = 6;
const ALARM_BACKOFF_BASE_MS = 2_000;
/** Methods a stub may not call over RPC (host entry points and host diagnostics). */
const RESERVED = new Set(['constructor', 'fetch', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError', 'registrySizes']);
/** Compiled statements one object keeps at most (its SQL cache plus the key-value/alarm statements). */
const STATEMENTS_PER_OBJECT = 128 + 16;

/**
 * What a Durable Object class may implement to report its in-memory registries (maps of waiters, watches…)
 * to the host's diagnostics. Called synchronously by the host, outside the input gate; it must only read sizes.
 */
export interface ReportsRegistries {
  registrySizes(): Record<string, { size: number; cap: number | null }>;
}
/**
 * A resident object idle this long gives its SQLite page cache back (PRAGMA shrink_memory): about a
 * fifth of an open object's memory, reused by the next objects opened, so the resident plateau is lower.
 */
const SHRINK_IDLE_MS = 5_000;

/** Options of the host. */
export interface HostOptions {
  readonly dataDir: string;
  /** Most objects resident at once; beyond it the least recently used idle objects are evicted. */
  readonly maxActive: number;
  /** An object idle this long is evicted (its storage stays on disk). */
  readonly idleEvictMs: number;
  /** Alarm handlers running at once across all objects. */
  readonly maxConcurrentAlarms?: number;
  /** WebSockets one object may hold; beyond it new sockets are closed with 1013. */
  readonly maxSocketsPerObject?: number;
  readonly log: Logger;
}

/** A Durable Object id (64 hex digits, like workerd's). */
export class NodeDurableObjectId {
  readonly #hex: string;
  readonly name: string | undefined;
  constructor(hex: string, name?: string) {
    this.#hex = hex;
    this.name = name;
  }
  toString(): string {
    return this.#hex;
  }
  equals(other: { toString(): string }): boolean {
    return other.toString() === this.#hex;
  }
}

/**
 * workerd's input gate, as far as a synchronous SQLite needs: events are delivered in arrival order, one
 * per event-loop turn, and never while blockConcurrencyWhile runs. Storage calls here complete without
 * leaving the microtask queue, so an event that awaits only storage runs on to its next real I/O before
 * the next event starts: `get` then `put` without a transaction is safe, as on workerd. Events still
 * interleave at real I/O (timers, fetch, other objects), which is also what workerd allows.
 */
class InputGate {
  #blocked: Promise<void> | null = null;
  readonly #queue: (() => void)[] = [];
  /** Immediates scheduled and not yet run; each one starts the queue's head. */
  #scheduled = 0;

  /** True while blockConcurrencyWhile runs. */
  get blocked(): boolean {
    return this.#blocked !== null;
  }

  deliver<T>(event: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        try {
          resolve(event());
        } catch (err) {
          reject(err);
        }
      });
      this.#pump();
    });
  }

  async blockConcurrencyWhile<T>(cb: () => Promise<T> | T): Promise<T> {
    while (this.#blocked) await this.#blocked;
    let release!: () => void;
    this.#blocked = new Promise<void>((r) => (release = r));
    try {
      return await cb();
    } finally {
      this.#blocked = null;
      release();
      this.#pump();
    }
  }

  /**
   * Schedules one immediate per queued event. Node drains the microtask queue between two immediates,
   * so each event runs on to its first real I/O before the next one starts, and events that arrived
   * together all start in the same check phase instead of one per event-loop turn (which made a busy
   * object, such as the gateway hub, a throughput bottleneck: every event waited a full loop turn per
   * event queued ahead of it).
   */
  #pump(): void {
    while (!this.#blocked && this.#scheduled < this.#queue.length) {
      this.#scheduled++;
      setImmediate(() => {
        this.#scheduled--;
        if (this.#blocked) return; // blockConcurrencyWhile pumps again when it ends
        this.#queue.shift()?.();
      });
    }
  }
}

interface Resident {
  readonly binding: string;
  readonly id: NodeDurableObjectId;
  readonly db: DatabaseSync;
  readonly storage: NodeDurableObjectStorage;
  readonly gate: InputGate;
  readonly instance: Record<string, unknown>;
  inflight: number;
  lastUsed: number;
  /** Whether its page cache was released since its last use. */
  shrunk: boolean;
  /** Host-wide use counter at the last use: orders LRU eviction (Date.now() ties within a millisecond). */
  usedAt: number;
  alarm: { running: boolean; rearmed: boolean };
  readonly sockets: SocketSet;
}

interface NamespaceEntry {
  /** The class; null until a lazy namespace's loader has resolved and a caller has picked it up. */
  cls: DurableObjectClass | null;
  readonly load: DurableObjectLoader | null;
  /** The loader's promise while (or once) it runs; reset when it fails, so the next event retries. */
  loading: Promise<DurableObjectClass> | null;
  readonly env: () => object;
}

/** The in-process host of every Durable Object namespace. */
export class DurableObjectHost {
  readonly #opts: HostOptions;
  readonly #namespaces = new Map<string, NamespaceEntry>();
  readonly #resident = new Map<string, Resident>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #alarms: AlarmScheduler;
  readonly #alarmDb: DatabaseSync;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #closing = false;
  #uses = 0;

  constructor(opts: HostOptions) {
    this.#opts = opts;
    mkdirSync(join(opts.dataDir, 'do'), { recursive: true, mode: 0o700 });
    this.#alarmDb = openDatabase(join(opts.dataDir, 'do', 'alarms.sqlite'));
    this.#alarms = new AlarmScheduler(this.#alarmDb, (b, id) => this.#runAlarm(b, id), {
      maxConcurrent: opts.maxConcurrentAlarms ?? 32,
      log: opts.log,
    });
    this.#sweeper = setInterval(() => this.#evictIdle(), Math.max(1_000, Math.min(opts.idleEvictMs, SHRINK_IDLE_MS)));
    this.#sweeper.unref();
  }

  /** Registers a class under its binding name; `env` is read lazily (bindings refer to namespaces). */
  namespace<T extends object>(binding: string, cls: new (ctx: never, env: never) => T, env: () => object): NodeDurableObjectNamespace<T> {
    return this.#register(binding, { cls, load: null, loading: null, env });
  }

  /**
   * Like `namespace`, but the class is imported on the namespace's first event (call, fetch, socket or
   * alarm), so the code of an object nobody uses is never loaded. Events that arrive while it loads are
   * still delivered in arrival order.
   * @example env.GATEWAY = host.lazyNamespace('GATEWAY', () => import('../durable/gateway-do.ts').then((m) => m.GatewayDO), () => env)
   */
  lazyNamespace<T extends object>(binding: string, load: DurableObjectLoader<T>, env: () => object): NodeDurableObjectNamespace<T> {
    return this.#register(binding, { cls: null, load, loading: null, env });
  }

  #register<T extends object>(binding: string, entry: NamespaceEntry): NodeDurableObjectNamespace<T> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(binding)) throw new Error(`invalid binding name: ${binding}`);
    mkdirSync(join(this.#opts.dataDir, 'do', binding), { recursive: true, mode: 0o700 });
    this.#namespaces.set(binding, entry);
    return new NodeDurableObjectNamespace<T>(this, binding);
  }

  /**
   * Runs `fn` once the namespace's class is at hand: right away (synchronously, as for an eager namespace)
   * when it is, else in the loader's continuation. `fn` opens the object and enqueues its event in the same
   * microtask that makes the class visible, so events keep their arrival order across the first load.
   */
  #withClass<T>(binding: string, fn: () => Promise<T>): Promise<T> {
    const ns = this.#namespaces.get(binding);
    if (!ns || ns.cls || !ns.load) return fn();
    const loading = (ns.loading ??= ns.load().catch((err: unknown) => {
      ns.loading = null;
      throw err;
    }));
    return loading.then((cls) => {
      ns.cls ??= cls;
      return fn();
    });
  }

  /** Starts firing persisted alarms (overdue ones fire immediately). Call once bindings are complete. */
  start(): void {
    this.#alarms.start();
  }

  /** Objects resident now, and alarms waiting (for status and tests). */
  stats(): { resident: number; pendingAlarms: number; inflight: number } {
    let inflight = 0;
    for (const r of this.#resident.values()) inflight += r.inflight;
    return { resident: this.#resident.size, pendingAlarms: this.#alarms.pending(), inflight };
  }

  /**
   * Sizes of every in-memory registry the host holds (and those resident objects report through
   * `registrySizes()`), with their caps: what `/metrics` shows so an operator (and a test) can see that
   * memory is bounded by configuration, not by the number of sessions ever seen.
   * @example host.registries().find((r) => r.name === 'do.resident') // { name: 'do.resident', size: 12, cap: 256 }
   */
  registries(): RegistryFigure[] {
    let statements = 0;
    let sockets = 0;
    const reported = new Map<string, { size: number; cap: number | null }>();
    for (const r of this.#resident.values()) {
      statements += r.storage.cachedStatements();
      sockets += r.sockets.size;
      const report = (r.instance as Partial<ReportsRegistries>).registrySizes;
      if (typeof report !== 'function') continue;
      for (const [name, fig] of Object.entries(report.call(r.instance))) {
        const key = `${r.binding}.${name}`;
        const prev = reported.get(key);
        reported.set(key, prev ? { size: prev.size + fig.size, cap: prev.cap === null || fig.cap === null ? null : prev.cap + fig.cap } : fig);
      }
    }
    const residentCap = Math.max(this.#opts.maxActive, this.#resident.size);
    const alarms = this.#alarms.running();
    return [
      { name: 'do.resident', size: this.#resident.size, cap: this.#opts.maxActive },
      { name: 'do.alarms.running', size: alarms.size, cap: alarms.cap },
      // One per pending ctx.waitUntil promise: bounded by the events that started them.
      { name: 'do.waitUntil', size: this.#pending.size, cap: null },
      // Bounded per object; the host-wide cap follows the resident count.
      { name: 'do.sql.statements', size: statements, cap: residentCap * STATEMENTS_PER_OBJECT },
      { name: 'do.sockets', size: sockets, cap: residentCap * (this.#opts.maxSocketsPerObject ?? 10_000) },
      ...[...reported].sort(([a], [b]) => a.localeCompare(b)).map(([name, fig]) => ({ name, ...fig })),
    ];
  }

  /** Keeps the host's shutdown waiting for `promise` (ctx.waitUntil). */
  waitUntil(promise: Promise<unknown>): void {
    const tracked = promise.catch((err: unknown) => this.#opts.log.warn('waitUntil task failed', { err }));
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Delivers an RPC call to an object (arguments and results are structured-cloned, as across isolates). */
  call(binding: string, id: NodeDurableObjectId, method: string, args: unknown[]): Promise<unknown> {
    return this.#withClass(binding, async () => {
      const r = this.#open(binding, id);
      const fn = r.instance[method];
      if (RESERVED.has(method) || typeof fn !== 'function') {
        throw new TypeError(`The RPC receiver does not implement the method "${method}".`);
      }
      return this.#event(r, async () => structuredClone(await fn.apply(r.instance, structuredClone(args))));
    });
  }

  /**
   * Hands a freshly upgraded `ws` socket to an object's `method` (e.g. GatewayDO.acceptSocket), which
   * calls `ctx.acceptWebSocket`. The socket is passed as is (not cloned).
   */
  async acceptWebSocket(binding: string, name: string, ws: WsSocket, method: string, ...args: unknown[]): Promise<void> {
    const ns = this.#namespaces.get(binding);
    if (!ns?.load || ns.cls) return this.#accept(binding, name, ws, method, args);
    // Frames the client sends while the class loads wait in the socket (paused) until the object took it.
    ws.pause();
    try {
      await this.#withClass(binding, () => this.#accept(binding, name, ws, method, args));
    } finally {
      ws.resume();
    }
  }

  async #accept(binding: string, name: string, ws: WsSocket, method: string, args: unknown[]): Promise<void> {
    const ns = new NodeDurableObjectNamespace(this, binding);
    const r = this.#open(binding, ns.idFromName(name));
    const fn = r.instance[method];
    if (typeof fn !== 'function') throw new TypeError(`${binding} has no ${method}()`);
    const sock = new NodeHibernatableSocket(ws);
    await this.#event(r, () => fn.call(r.instance, sock, ...args));
  }

  /** Delivers a fetch event. */
  fetch(binding: string, id: NodeDurableObjectId, request: Request): Promise<Response> {
    return this.#withClass(binding, async () => {
      const r = this.#open(binding, id);
      const fetchFn = r.instance.fetch;
      if (typeof fetchFn !== 'function') throw new TypeError('Handler does not export a fetch() function.');
      return this.#event(r, () => fetchFn.call(r.instance, request) as Promise<Response>);
    });
  }

  /** Stops alarms, waits for in-flight events and waitUntil work (up to `timeoutMs`), then closes every file. */
  async close(timeoutMs: number): Promise<{ drained: boolean }> {
    this.#closing = true;
    this.#alarms.stop();
    clearInterval(this.#sweeper);
    const deadline = Date.now() + timeoutMs;
    let drained = false;
    for (;;) {
      // Checked at least once, so an idle host reports drained even with a zero timeout.
      if (this.stats().inflight === 0 && this.#pending.size === 0) {
        drained = true;
        break;
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const r of this.#resident.values()) {
      r.sockets.closeAll(1001, 'server shutting down');
      r.db.close();
    }
    this.#resident.clear();
    this.#alarmDb.close();
    return { drained };
  }

  async #event<T>(r: Resident, fn: () => Promise<T> | T): Promise<T> {
    r.inflight++;
    r.lastUsed = Date.now();
    r.shrunk = false;
    r.usedAt = ++this.#uses;
    try {
      return await r.gate.deliver(fn);
    } finally {
      r.inflight--;
      r.lastUsed = Date.now();
    }
  }

  #open(binding: string, id: NodeDurableObjectId): Resident {
    if (this.#closing) throw new Error('Durable Object host is shutting down');
    const key = `${binding}/${id.toString()}`;
    const existing = this.#resident.get(key);
    if (existing) return existing;
    const ns = this.#namespaces.get(binding);
    if (!ns) throw new Error(`no Durable Object namespace bound as ${binding}`);
    const cls = ns.cls;
    if (!cls) throw new Error(`Durable Object class of ${binding} is not loaded yet`);
    this.#opts.log.debug('opening durable object', { key, resident: this.#resident.size });
    const db = openDatabase(join(this.#opts.dataDir, 'do', binding, `${id.toString()}.sqlite`), { cacheKiB: 256 });
    const gate = new InputGate();
    const alarm = { running: false, rearmed: false };
    const storage = new NodeDurableObjectStorage(db, {
      beforeSet: (time) => this.#alarms.hint(binding, id.toString(), time),
      afterChange: () => {
        if (alarm.running) alarm.rearmed = true;
      },
      hidesCurrent: () => alarm.running && !alarm.rearmed,
    });
    // Socket events are delivered through the input gate like any other event.
    let self: Resident | undefined;
    const handler = (name: string) => (...args: unknown[]) => {
      const target = self;
      const fn = target?.instance[name];
      if (!target || typeof fn !== 'function') return Promise.resolve();
      return this.#event(target, () => fn.apply(target.instance, args)).catch((err: unknown) => this.#opts.log.error('websocket handler failed', { binding, handler: name, err }));
    };
    const sockets = new SocketSet(
      { message: handler('webSocketMessage'), close: handler('webSocketClose'), error: handler('webSocketError') },
      this.#opts.maxSocketsPerObject ?? 10_000,
    );
    const state = {
      id,
      storage,
      blockConcurrencyWhile: <T>(cb: () => Promise<T>) => gate.blockConcurrencyWhile(cb),
      waitUntil: (p: Promise<unknown>) => this.waitUntil(p),
      acceptWebSocket: (ws: NodeHibernatableSocket, tags?: string[]) => sockets.accept(ws, tags),
      getWebSockets: (tag?: string) => sockets.list(tag),
      getTags: (ws: NodeHibernatableSocket) => sockets.tags(ws),
    };
    let instance: Record<string, unknown>;
    try {
      // SAFETY: the class is a DurableObject subclass; ctx carries every member durable/ code uses.
      instance = new (cls as unknown as new (ctx: unknown, env: unknown) => Record<string, unknown>)(state, ns.env());
    } catch (err) {
      db.close();
      throw err;
    }
    const r: Resident = { binding, id, db, storage, gate, instance, inflight: 0, lastUsed: Date.now(), shrunk: false, usedAt: ++this.#uses, alarm, sockets };
    self = r;
    this.#resident.set(key, r);
    this.#evictOverCap(key);
    return r;
  }

  #runAlarm(binding: string, hex: string): Promise<void> {
    if (this.#closing || !this.#namespaces.has(binding)) return Promise.resolve();
    return this.#withClass(binding, () => (this.#closing ? Promise.resolve() : this.#fireAlarm(binding, hex)));
  }

  async #fireAlarm(binding: string, hex: string): Promise<void> {
    const r = this.#open(binding, new NodeDurableObjectId(hex));
    const time = r.storage.alarmRecord();
    if (time === null) return this.#alarms.clear(binding, hex);
    if (time > Date.now()) return this.#alarms.hint(binding, hex, time);
    const handler = r.instance.alarm;
    const retryCount = r.storage.alarmRetries();
    r.alarm.running = true;
    r.alarm.rearmed = false;
    let failure: unknown = null;
    try {
      if (typeof handler === 'function') {
        await this.#event(r, () => handler.call(r.instance, { retryCount, isRetry: retryCount > 0 }));
      }
    } catch (err) {
      failure = err ?? new Error('alarm failed');
    } finally {
      r.alarm.running = false;
    }
    if (failure === null) {
      if (!r.alarm.rearmed) r.storage.writeAlarmRecord(null);
    } else if (!r.alarm.rearmed) {
      const retries = retryCount + 1;
      if (retries > ALARM_MAX_RETRIES) {
        this.#opts.log.error('alarm failed after retries; giving up', { binding, id: hex, retries: ALARM_MAX_RETRIES, err: failure });
        r.storage.writeAlarmRecord(null);
      } else {
        const next = Date.now() + ALARM_BACKOFF_BASE_MS * 2 ** (retries - 1);
        this.#opts.log.warn('alarm failed; retrying', { binding, id: hex, retry: retries, err: failure });
        this.#alarms.hint(binding, hex, next);
        r.storage.writeAlarmRecord(next, retries);
      }
    }
    const after = r.storage.alarmRecord();
    if (after === null) this.#alarms.clear(binding, hex);
    else this.#alarms.hint(binding, hex, after);
  }

  #evictable(r: Resident): boolean {
    return r.inflight === 0 && !r.alarm.running && !r.gate.blocked && r.sockets.size === 0;
  }

  #evict(key: string, r: Resident): void {
    this.#opts.log.debug("evicting durable object", { key, resident: this.#resident.size });
    this.#resident.delete(key);
    r.db.close();
  }

  #evictOverCap(keep: string): void {
    if (this.#resident.size <= this.#opts.maxActive) return;
    const byAge = [...this.#resident.entries()]
      .filter(([key, r]) => key !== keep && this.#evictable(r)).sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [key, r] of byAge) {
      if (this.#resident.size <= this.#opts.maxActive) break;
      this.#evict(key, r);
    }
  }

  #evictIdle(): void {
    const now = Date.now();
    const cutoff = now - this.#opts.idleEvictMs;
    for (const [key, r] of this.#resident) {
      if (!this.#evictable(r)) continue;
      if (r.lastUsed < cutoff) this.#evict(key, r);
      else if (!r.shrunk && r.lastUsed < now - SHRINK_IDLE_MS) {
        r.shrunk = true;
        r.db.exec('PRAGMA shrink_memory');
      }
    }
  }

}

/** A namespace binding (`env.SESSIONS`) on Node. */
export class NodeDurableObjectNamespace<T extends object = object> {
  readonly #host: DurableObjectHost;
  readonly #binding: string;

  constructor(host: DurableObjectHost, binding: string) {
    this.#host = host;
    this.#binding = binding;
  }

  idFromName(name: string): NodeDurableObjectId {
    return new NodeDurableObjectId(createHash('sha256').update(`${this.#binding}\0${name}`).digest('hex'), name);
  }

  idFromString(hex: string): NodeDurableObjectId {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError('Invalid Durable Object ID: must be 64 hex digits');
    return new NodeDurableObjectId(hex);
  }

  newUniqueId(): NodeDurableObjectId {
    return new NodeDurableObjectId(randomBytes(32).toString('hex'));
  }

  getByName(name: string): DurableObjectStubOf<T> {
    return this.get(this.idFromName(name));
  }

  get(id: NodeDurableObjectId): DurableObjectStubOf<T> {
    const host = this.#host;
    const binding = this.#binding;
    const base = {
      id,
      name: id.name,
      fetch: (input: RequestInfo | URL, init?: RequestInit) => host.fetch(binding, id, new Request(input, init)),
    };
    // SAFETY: the proxy answers every method name with an RPC call, which is what a typed stub promises.
    return new Proxy(base, {
      get(target, prop) {
        if (prop in target) return target[prop as keyof typeof target];
        // A stub must not look like a thenable, or `await stub` would call it.
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        return (...args: unknown[]) => host.call(binding, id, prop, args);
      },
    }) as unknown as DurableObjectStubOf<T>;
  }
}

/**
 * The stub type: every method of T, returning a promise. The stub's own members (id, name, fetch) are
 * left out of the mapped part: DurableObject declares an optional `fetch`, which would map to `never`
 * and reduce the whole intersection to `never` for any class extending it.
 */
export type DurableObjectStubOf<T> = {
  [K in keyof T as K extends 'id' | 'name' | 'fetch' ? never : K]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
} & { readonly id: NodeDurableObjectId; readonly name: string | undefined; fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
