// DurableObjectHost: the Node host of Durable Object classes, on real per-object SQLite files, checked
// against the guarantees edgeclaw relies on from workerd (one instance per id, structured-clone RPC,
// input gates, blockConcurrencyWhile, transactional storage, persisted alarms with retries, eviction,
// graceful close).
import { DurableObject } from 'cloudflare:workers';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableObjectHost, type HostOptions, type NodeDurableObjectNamespace } from '../../node-adapter/do-host.ts';
import { createLogger } from '../../src/log.ts';

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One turn of the event loop (lets every queued event and microtask run). */
function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Polls `check` until it returns something other than undefined; for real alarm timers only. */
async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the test objects report back to the test (per host). */
interface Probe {
  /** Constructor runs per object id. */
  constructed: Map<string, number>;
  /** Alarm invocations in order. */
  alarms: { id: string; retryCount: number | undefined; isRetry: boolean | undefined; alarmSeen: number | null }[];
  /** Order in which events reached an object, with whether its constructor's blockConcurrencyWhile had finished. */
  delivered: { i: number; ready: boolean }[];
  /** Holds the constructor's blockConcurrencyWhile of Gated objects. */
  constructorGate: Deferred;
  /** Holds `hold()` calls; `entered` resolves once one is running. */
  holdGate: Deferred;
  entered: Deferred;
}

interface TestEnv {
  OBJECTS: NodeDurableObjectNamespace<TestObject>;
  GATED: NodeDurableObjectNamespace<Gated>;
  probe: Probe;
}

/** A general-purpose test object. */
class TestObject extends DurableObject<TestEnv> {
  readonly #state: { items: { text: string }[] } = { items: [] };

  constructor(ctx: DurableObjectState, env: TestEnv) {
    super(ctx, env);
    const id = ctx.id.toString();
    env.probe.constructed.set(id, (env.probe.constructed.get(id) ?? 0) + 1);
  }

  async add(item: { text: string }): Promise<{ items: { text: string }[] }> {
    this.#state.items.push(item);
    return this.#state;
  }

  async items(): Promise<string[]> {
    return this.#state.items.map((i) => i.text);
  }

  async echo(value: string): Promise<string> {
    return value;
  }

  /** The read-modify-write that input gates make safe without a transaction. */
  async increment(): Promise<number> {
    const n = (await this.ctx.storage.get<number>('n')) ?? 0;
    await this.ctx.storage.put('n', n + 1);
    return n + 1;
  }

  async read(key: string): Promise<unknown> {
    return this.ctx.storage.get(key);
  }

  async write(key: string, value: unknown): Promise<void> {
    await this.ctx.storage.put(key, value);
  }

  /** Calls a method on its own stub from inside an event. */
  async callSelf(name: string): Promise<string> {
    return `self:${await this.env.OBJECTS.getByName(name).echo('pong')}`;
  }

  /** Writes SQL rows and a KV entry inside transactionSync, then throws; returns what survived. */
  async failedTransaction(): Promise<{ rows: number; kv: unknown }> {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS t (a INTEGER)');
    sql.exec('INSERT INTO t VALUES (1)');
    await this.ctx.storage.put('kv', 'before');
    try {
      this.ctx.storage.transactionSync(() => {
        sql.exec('INSERT INTO t VALUES (2)');
        void this.ctx.storage.put('kv', 'inside');
        throw new Error('abort');
      });
    } catch (err) {
      if (!(err instanceof Error) || err.message !== 'abort') throw err;
    }
    const rows = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM t').one().n;
    return { rows, kv: await this.ctx.storage.get('kv') };
  }

  /** A committed transactionSync returns its value and keeps both kinds of write. */
  async committedTransaction(): Promise<{ result: string; rows: number; kv: unknown }> {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS t (a INTEGER)');
    const result = this.ctx.storage.transactionSync(() => {
      sql.exec('INSERT INTO t VALUES (3)');
      void this.ctx.storage.put('kv', 'committed');
      return 'ok';
    });
    const rows = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM t WHERE a = 3').one().n;
    return { result, rows, kv: await this.ctx.storage.get('kv') };
  }

  /** Waits for the test's hold gate (an in-flight call the test controls). */
  async hold(): Promise<string> {
    this.env.probe.entered.resolve();
    await this.env.probe.holdGate.promise;
    return 'released';
  }

  async armAlarm(at: number, mode: 'ok' | 'throw-once' | 'rearm-once' = 'ok'): Promise<void> {
    await this.ctx.storage.put('mode', mode);
    await this.ctx.storage.setAlarm(at);
  }

  async getAlarm(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }

  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    const fired = ((await this.ctx.storage.get<number>('fired')) ?? 0) + 1;
    await this.ctx.storage.put('fired', fired);
    this.env.probe.alarms.push({
      id: this.ctx.id.toString(),
      retryCount: info?.retryCount,
      isRetry: info?.isRetry,
      alarmSeen: await this.ctx.storage.getAlarm(),
    });
    const mode = await this.ctx.storage.get<string>('mode');
    if (mode === 'rearm-once' && fired === 1) {
      const next = Date.now() + 50;
      await this.ctx.storage.setAlarm(next);
      await this.ctx.storage.put('rearmedTo', next);
      await this.ctx.storage.put('seenAfterRearm', await this.ctx.storage.getAlarm());
    }
    if (mode === 'throw-once' && fired === 1) throw new Error('alarm failed on purpose');
  }
}

/** An object whose constructor blocks events until the test opens its gate. */
class Gated extends DurableObject<TestEnv> {
  #ready = false;

  constructor(ctx: DurableObjectState, env: TestEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      await env.probe.constructorGate.promise;
      this.#ready = true;
    });
  }

  async record(i: number): Promise<number> {
    this.env.probe.delivered.push({ i, ready: this.#ready });
    return i;
  }
}

const logs: string[] = [];
const log = createLogger('debug', {}, (line) => logs.push(line));

let dataDir: string;
const running = new Set<DurableObjectHost>();

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'edgeclaw-do-'));
  logs.length = 0;
});

afterEach(async () => {
  for (const host of running) await closeHost(host, 1_000);
  rmSync(dataDir, { recursive: true, force: true });
});

/** A started host over this test's data dir with both test namespaces bound. */
function startHost(opts: Partial<HostOptions> = {}): { host: DurableObjectHost; env: TestEnv; probe: Probe } {
  const host = new DurableObjectHost({ dataDir, maxActive: 100, idleEvictMs: 60_000, log, ...opts });
  const probe: Probe = {
    constructed: new Map(),
    alarms: [],
    delivered: [],
    constructorGate: deferred(),
    holdGate: deferred(),
    entered: deferred(),
  };
  const env = { probe } as TestEnv;
  env.OBJECTS = host.namespace('OBJECTS', TestObject, () => env);
  env.GATED = host.namespace('GATED', Gated, () => env);
  host.start();
  running.add(host);
  return { host, env, probe };
}

function closeHost(host: DurableObjectHost, timeoutMs: number): Promise<{ drained: boolean }> {
  running.delete(host);
  return host.close(timeoutMs);
}

describe('DurableObjectHost', () => {
  describe('identity and RPC', () => {
    it('runs one instance per id: two stubs for the same name share state', async () => {
      const { env, probe } = startHost();
      await env.OBJECTS.getByName('alice').add({ text: 'one' });
      await env.OBJECTS.getByName('alice').add({ text: 'two' });
      await env.OBJECTS.get(env.OBJECTS.idFromName('alice')).add({ text: 'three' });
      expect(await env.OBJECTS.getByName('alice').items()).toEqual(['one', 'two', 'three']);
      expect(await env.OBJECTS.getByName('bob').items()).toEqual([]);
      expect(probe.constructed.get(env.OBJECTS.idFromName('alice').toString())).toBe(1);
    });

    it('keeps each object in its own SQLite file under <dataDir>/do/<binding>/<id>.sqlite', async () => {
      const { env } = startHost();
      await env.OBJECTS.getByName('alice').write('k', 1);
      const id = env.OBJECTS.idFromName('alice').toString();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(existsSync(join(dataDir, 'do', 'OBJECTS', `${id}.sqlite`))).toBe(true);
    });

    it('structured-clones arguments and results, so neither side can mutate the other\'s objects', async () => {
      const { env } = startHost();
      const stub = env.OBJECTS.getByName('clone');
      const arg = { text: 'original' };
      const result = await stub.add(arg);
      arg.text = 'mutated argument';
      result.items[0]!.text = 'mutated result';
      result.items.push({ text: 'pushed' });
      expect(await stub.items()).toEqual(['original']);
      const withDate = new Date(0);
      await stub.write('date', withDate);
      expect(await stub.read('date')).toEqual(new Date(0));
    });

    it('rejects a call to a method the class does not have, with workerd\'s message', async () => {
      const { env } = startHost();
      const stub = env.OBJECTS.getByName('x') as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      await expect(stub.noSuchMethod!()).rejects.toThrow('The RPC receiver does not implement the method "noSuchMethod".');
      // Host entry points are not RPC methods either.
      await expect(stub.alarm!()).rejects.toThrow('The RPC receiver does not implement the method "alarm".');
    });

    it('does not expose `then` on stubs, so awaiting a stub makes no call', async () => {
      const { host, env } = startHost();
      const stub = env.OBJECTS.getByName('thenable');
      expect((stub as unknown as { then?: unknown }).then).toBeUndefined();
      const awaited = await stub;
      expect(awaited).toBe(stub);
      expect(host.stats().resident).toBe(0);
    });

    it('lets an object call its own stub without deadlocking', async () => {
      const { env } = startHost();
      expect(await env.OBJECTS.getByName('narcissus').callSelf('narcissus')).toBe('self:pong');
    });
  });

  describe('input gates and blockConcurrencyWhile', () => {
    it('delivers no other event between a storage read and the write that follows it', async () => {
      const { env } = startHost();
      const stub = env.OBJECTS.getByName('counter');
      const results = await Promise.all(Array.from({ length: 100 }, () => stub.increment()));
      expect(await stub.read('n')).toBe(100);
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    it('holds events until the constructor\'s blockConcurrencyWhile finishes, then delivers them in arrival order', async () => {
      const { env, probe } = startHost();
      const stub = env.GATED.getByName('slow-start');
      const calls = Array.from({ length: 10 }, (_, i) => stub.record(i));
      for (let i = 0; i < 5; i++) await turn();
      expect(probe.delivered).toEqual([]);
      probe.constructorGate.resolve();
      expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(probe.delivered).toEqual(Array.from({ length: 10 }, (_, i) => ({ i, ready: true })));
    });
  });

  describe('storage', () => {
    it('rolls back SQL and key-value writes when the transactionSync callback throws', async () => {
      const { env } = startHost();
      expect(await env.OBJECTS.getByName('tx').failedTransaction()).toEqual({ rows: 1, kv: 'before' });
    });

    it('commits SQL and key-value writes of a transactionSync callback together and returns its value', async () => {
      const { env } = startHost();
      expect(await env.OBJECTS.getByName('tx').committedTransaction()).toEqual({ result: 'ok', rows: 1, kv: 'committed' });
    });
  });

  describe('alarms', () => {
    it('fires alarm() at the set time, with getAlarm() null inside the handler and after it', async () => {
      const { env, probe } = startHost();
      const stub = env.OBJECTS.getByName('alarm');
      const id = env.OBJECTS.idFromName('alarm').toString();
      const at = Date.now() + 100;
      await stub.armAlarm(at);
      expect(await stub.getAlarm()).toBe(at);
      await eventually(() => (probe.alarms.length > 0 ? true : undefined));
      expect(probe.alarms).toEqual([{ id, retryCount: 0, isRetry: false, alarmSeen: null }]);
      expect(await stub.getAlarm()).toBeNull();
      expect(await stub.read('fired')).toBe(1);
    });

    it('keeps an alarm re-armed inside the handler and fires it again', async () => {
      const { env, probe } = startHost();
      const stub = env.OBJECTS.getByName('rearm');
      await stub.armAlarm(Date.now(), 'rearm-once');
      await eventually(() => (probe.alarms.length >= 2 ? true : undefined));
      // Inside the handler, the new alarm is visible once set.
      expect(await stub.read('seenAfterRearm')).toBe(await stub.read('rearmedTo'));
      expect(probe.alarms.map((a) => ({ isRetry: a.isRetry, alarmSeen: a.alarmSeen }))).toEqual([
        { isRetry: false, alarmSeen: null },
        { isRetry: false, alarmSeen: null },
      ]);
      expect(await stub.getAlarm()).toBeNull();
    });

    it('retries a throwing alarm with retryCount and isRetry set', async () => {
      const { env, probe } = startHost();
      const stub = env.OBJECTS.getByName('flaky');
      await stub.armAlarm(Date.now(), 'throw-once');
      // The first retry comes about 2 s after the failure (workerd's backoff).
      await eventually(() => (probe.alarms.length >= 2 ? true : undefined));
      expect(probe.alarms.map((a) => ({ retryCount: a.retryCount, isRetry: a.isRetry }))).toEqual([
        { retryCount: 0, isRetry: false },
        { retryCount: 1, isRetry: true },
      ]);
      expect(logs.some((l) => l.includes('alarm failed; retrying'))).toBe(true);
      await eventually(async () => ((await stub.getAlarm()) === null ? true : undefined));
      expect(await stub.read('fired')).toBe(2);
    });

    it('keeps the retry count of a failing alarm across a host restart', async () => {
      const first = startHost();
      const id = first.env.OBJECTS.idFromName('flaky-restart').toString();
      await first.env.OBJECTS.getByName('flaky-restart').armAlarm(Date.now(), 'throw-once');
      await eventually(() => (first.probe.alarms.length >= 1 ? true : undefined));
      await closeHost(first.host, 1_000);
      expect(first.probe.alarms.map((a) => a.retryCount)).toEqual([0]);

      // The retry was persisted with its count, so the budget cannot be reset by a restart or eviction.
      const second = startHost();
      await eventually(() => (second.probe.alarms.length >= 1 ? true : undefined));
      expect(second.probe.alarms).toEqual([{ id, retryCount: 1, isRetry: true, alarmSeen: null }]);
    });

    it('fires an alarm set before the host closed once a new host starts on the same data dir', async () => {
      const first = startHost();
      const id = first.env.OBJECTS.idFromName('durable-alarm').toString();
      await first.env.OBJECTS.getByName('durable-alarm').armAlarm(Date.now() + 500);
      expect(first.host.stats().pendingAlarms).toBe(1);
      await closeHost(first.host, 1_000);
      expect(first.probe.alarms).toEqual([]);

      const second = startHost();
      await eventually(() => (second.probe.alarms.length > 0 ? true : undefined));
      expect(second.probe.alarms).toEqual([{ id, retryCount: 0, isRetry: false, alarmSeen: null }]);
      expect(second.probe.constructed.get(id)).toBe(1);
      await eventually(() => (second.host.stats().pendingAlarms === 0 ? true : undefined));
    });
  });

  describe('residency', () => {
    it('evicts the least recently used idle object beyond maxActive and keeps its storage', async () => {
      const { host, env, probe } = startHost({ maxActive: 2 });
      const constructed = (name: string) => probe.constructed.get(env.OBJECTS.idFromName(name).toString());
      await env.OBJECTS.getByName('a').write('v', 'kept on disk');
      await env.OBJECTS.getByName('b').echo('hi');
      await env.OBJECTS.getByName('c').echo('hi');
      expect(host.stats().resident).toBe(2);
      // b stayed resident (its constructor ran once); a was evicted.
      await env.OBJECTS.getByName('b').echo('again');
      expect(constructed('b')).toBe(1);
      expect(await env.OBJECTS.getByName('a').read('v')).toBe('kept on disk');
      expect(constructed('a')).toBe(2);
      expect(host.stats().resident).toBe(2);
    });

    it('orders eviction by use, not by creation', async () => {
      const { host, env, probe } = startHost({ maxActive: 2 });
      const constructed = (name: string) => probe.constructed.get(env.OBJECTS.idFromName(name).toString());
      await env.OBJECTS.getByName('a').echo('1');
      await env.OBJECTS.getByName('b').echo('2');
      await env.OBJECTS.getByName('a').echo('3');
      await env.OBJECTS.getByName('c').echo('4');
      expect(host.stats().resident).toBe(2);
      await env.OBJECTS.getByName('a').echo('5');
      expect(constructed('a')).toBe(1);
      await env.OBJECTS.getByName('b').echo('6');
      expect(constructed('b')).toBe(2);
    });

    it('does not evict an object with a call in flight', async () => {
      const { host, env, probe } = startHost({ maxActive: 1 });
      const held = env.OBJECTS.getByName('busy').hold();
      await probe.entered.promise;
      await env.OBJECTS.getByName('other').echo('hi');
      expect(host.stats().resident).toBe(2);
      probe.holdGate.resolve();
      expect(await held).toBe('released');
      await env.OBJECTS.getByName('third').echo('hi');
      expect(host.stats().resident).toBe(1);
    });

    it('evicts an object idle for longer than idleEvictMs', async () => {
      const { host, env } = startHost({ idleEvictMs: 1 });
      await env.OBJECTS.getByName('idle').write('v', 1);
      expect(host.stats().resident).toBe(1);
      await eventually(() => (host.stats().resident === 0 ? true : undefined));
      expect(await env.OBJECTS.getByName('idle').read('v')).toBe(1);
    });
  });

  describe('close', () => {
    it('waits for an in-flight call and reports drained', async () => {
      const { host, env, probe } = startHost();
      const held = env.OBJECTS.getByName('slow').hold();
      await probe.entered.promise;
      let closed = false;
      const closing = closeHost(host, 30_000).then((r) => ((closed = true), r));
      for (let i = 0; i < 5; i++) await turn();
      expect(closed).toBe(false);
      probe.holdGate.resolve();
      expect(await held).toBe('released');
      expect(await closing).toEqual({ drained: true });
    });

    it('reports not drained when the timeout passes first', async () => {
      const { host, env, probe } = startHost();
      const held = env.OBJECTS.getByName('stuck').hold();
      await probe.entered.promise;
      expect(await closeHost(host, 20)).toEqual({ drained: false });
      probe.holdGate.resolve();
      expect(await held).toBe('released');
    });

    it('reports drained when nothing is in flight, even with a zero timeout', async () => {
      const { host, env } = startHost();
      await env.OBJECTS.getByName('idle').echo('hi');
      expect(await closeHost(host, 0)).toEqual({ drained: true });
    });

    it('rejects calls made after close', async () => {
      const { host, env } = startHost();
      const stub = env.OBJECTS.getByName('late');
      await stub.echo('before');
      await closeHost(host, 1_000);
      await expect(stub.echo('after')).rejects.toThrow(/shutting down/);
      await expect(env.OBJECTS.getByName('never-opened').echo('after')).rejects.toThrow(/shutting down/);
    });
  });

  describe('lazy namespaces', () => {
    /** A host whose OBJECTS class comes from a loader the test resolves (or fails) by hand. */
    interface Load {
      resolve(cls: typeof TestObject): void;
      reject(err: Error): void;
    }
    function startLazyHost(): { host: DurableObjectHost; env: TestEnv; probe: Probe; loads: Load[] } {
      const { host, env, probe } = startHost();
      const loads: Load[] = [];
      env.OBJECTS = host.lazyNamespace('OBJECTS', () => new Promise<typeof TestObject>((resolve, reject) => loads.push({ resolve, reject })), () => env);
      return { host, env, probe, loads };
    }

    it('imports the class on the first event only, and delivers events that arrived while it loaded in arrival order', async () => {
      const { env, probe, loads } = startLazyHost();
      const stub = env.OBJECTS.getByName('lazy');
      expect(loads).toHaveLength(0);
      const adds = ['a', 'b', 'c'].map((text) => stub.add({ text }));
      for (let i = 0; i < 5; i++) await turn();
      expect(loads).toHaveLength(1);
      expect(probe.constructed.size).toBe(0);
      const late = stub.add({ text: 'd' });
      loads[0]!.resolve(TestObject);
      await Promise.all([...adds, late]);
      expect(await stub.items()).toEqual(['a', 'b', 'c', 'd']);
      expect(loads).toHaveLength(1);
      expect(probe.constructed.get(env.OBJECTS.idFromName('lazy').toString())).toBe(1);
    });

    it('rejects the events waiting on a failed import and imports again on the next event', async () => {
      const { env, loads } = startLazyHost();
      const stub = env.OBJECTS.getByName('retry');
      const first = stub.echo('one');
      for (let i = 0; i < 3; i++) await turn();
      loads[0]!.reject(new Error('chunk missing'));
      await expect(first).rejects.toThrow(/chunk missing/);
      const second = stub.echo('two');
      for (let i = 0; i < 3; i++) await turn();
      expect(loads).toHaveLength(2);
      loads[1]!.resolve(TestObject);
      expect(await second).toBe('two');
    });

    it('fires an alarm persisted by a previous host after importing the class', async () => {
      const first = startHost();
      await first.env.OBJECTS.getByName('wake').armAlarm(Date.now() + 200);
      await closeHost(first.host, 1_000);
      const host = new DurableObjectHost({ dataDir, maxActive: 100, idleEvictMs: 60_000, log });
      running.add(host);
      const probe = first.probe;
      const env = { probe } as TestEnv;
      let loads = 0;
      env.OBJECTS = host.lazyNamespace('OBJECTS', async () => (loads++, TestObject), () => env);
      host.start();
      await eventually(() => (probe.alarms.length > 0 ? true : undefined));
      expect(loads).toBe(1);
      expect(probe.alarms[0]!.id).toBe(env.OBJECTS.idFromName('wake').toString());
    });
  });
});
