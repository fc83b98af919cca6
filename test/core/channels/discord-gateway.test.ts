// The Discord Gateway state machine with a scripted socket and manual timers: identify, heartbeats and
// zombie detection, resume from the last *handled* seq, a dispatch backlog over its cap, fatal close codes.
import { describe, expect, it } from 'vitest';
import { DiscordGatewayClient, OP, type GatewayCheckpoint, type GatewaySocketHandlers, type GatewayTimers } from '../../../src/channels/discord/gateway.ts';

class ManualTimers implements GatewayTimers {
  #t = 0;
  #n = 0;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#n;
    this.pending.set(id, { at: this.#t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  random(): number {
    return 0.5;
  }
  now(): number {
    return this.#t;
  }
  /** Runs every timer due within `ms`. */
  advance(ms: number): void {
    const end = this.#t + ms;
    for (;;) {
      const next = [...this.pending.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.pending.delete(next[0]);
      this.#t = next[1].at;
      next[1].fn();
    }
    this.#t = end;
  }
}

function setup(opts: { maxPending?: number; onDispatch?: (t: string, d: unknown) => Promise<void>; resume?: GatewayCheckpoint } = {}) {
  const timers = new ManualTimers();
  const sockets: { url: string; sent: { op: number; d: unknown }[]; h: GatewaySocketHandlers; closed: number | null }[] = [];
  const handled: unknown[] = [];
  const checkpoints: (GatewayCheckpoint | null)[] = [];
  const client = new DiscordGatewayClient({
    onCheckpoint: (cp) => void checkpoints.push(cp),
    ...(opts.resume ? { resume: opts.resume } : {}),
    token: 'bot-token',
    intents: 1 << 9,
    resolveUrl: async () => 'wss://gw.test',
    connect: (url, h) => {
      const s = { url, sent: [] as { op: number; d: unknown }[], h, closed: null as number | null };
      sockets.push(s);
      return { send: (d) => void s.sent.push(JSON.parse(d) as { op: number; d: unknown }), close: (code) => void (s.closed = code) };
    },
    onDispatch: opts.onDispatch ?? (async (t, d) => void handled.push([t, d])),
    timers,
    ...(opts.maxPending !== undefined ? { maxPending: opts.maxPending } : {}),
  });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  const last = () => sockets.at(-1)!;
  const recv = (p: unknown) => last().h.message(JSON.stringify(p));
  const ready = () => {
    recv({ op: OP.HELLO, d: { heartbeat_interval: 1_000 } });
    recv({ op: OP.DISPATCH, s: 1, t: 'READY', d: { session_id: 's1', resume_gateway_url: 'wss://resume.test', user: { id: '99' } } });
  };
  return { client, timers, sockets, handled, checkpoints, flush, last, recv, ready };
}

describe('discord gateway client', () => {
  it('identifies on HELLO, heartbeats with the last seq, and reconnects with RESUME after a zombie', async () => {
    const t = setup();
    t.client.start();
    await t.flush();
    expect(t.last().url).toBe('wss://gw.test/?v=10&encoding=json');
    t.ready();
    expect(t.last().sent[0]).toMatchObject({ op: OP.IDENTIFY, d: { token: 'bot-token', intents: 512 } });
    t.recv({ op: OP.DISPATCH, s: 2, t: 'MESSAGE_CREATE', d: { id: 'm1' } });
    await t.flush();
    expect(t.handled).toEqual([['MESSAGE_CREATE', { id: 'm1' }]]);
    t.timers.advance(500);
    expect(t.last().sent.at(-1)).toEqual({ op: OP.HEARTBEAT, d: 2 });
    // No ACK before the next beat: the connection is a zombie and is replaced.
    t.timers.advance(1_000);
    expect(t.sockets[0]!.closed).toBe(4000);
    t.timers.advance(1_000);
    await t.flush();
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toBe('wss://resume.test/?v=10&encoding=json');
    t.recv({ op: OP.HELLO, d: { heartbeat_interval: 1_000 } });
    expect(t.last().sent[0]).toEqual({ op: OP.RESUME, d: { token: 'bot-token', session_id: 's1', seq: 2 } });
  });

  it('resumes from the last handled seq when a dispatch fails, so Discord replays it', async () => {
    let fail = true;
    const t = setup({ onDispatch: async () => {
      if (fail) throw new Error('session unavailable');
    } });
    t.client.start();
    await t.flush();
    t.ready();
    t.recv({ op: OP.DISPATCH, s: 2, t: 'MESSAGE_CREATE', d: {} });
    await t.flush();
    await t.flush();
    expect(t.client.state()).toMatchObject({ handledSeq: 1, seq: 2, connected: false });
    expect(t.client.state().lastError).toContain('session unavailable');
    fail = false;
    t.timers.advance(1_000);
    await t.flush();
    t.recv({ op: OP.HELLO, d: { heartbeat_interval: 1_000 } });
    expect(t.last().sent[0]).toEqual({ op: OP.RESUME, d: { token: 'bot-token', session_id: 's1', seq: 1 } });
  });

  it('drops the connection when the dispatch backlog passes its cap, and resumes from before it', async () => {
    const gates: (() => void)[] = [];
    const t = setup({ maxPending: 3, onDispatch: () => new Promise<void>((r) => gates.push(r)) });
    t.client.start();
    await t.flush();
    t.ready();
    for (let s = 2; s <= 6; s++) t.recv({ op: OP.DISPATCH, s, t: 'MESSAGE_CREATE', d: {} });
    expect(t.sockets[0]!.closed).toBe(4000);
    expect(t.client.state().lastError).toBe('dispatch backlog full; resuming later');
    await t.flush();
    for (const g of gates) g();
    await t.flush();
    // The message in progress when the connection was replaced is not counted as handled.
    expect(t.client.state().handledSeq).toBe(1);
  });

  it('stops for good on a fatal close code (bad token) and says why', async () => {
    const t = setup();
    t.client.start();
    await t.flush();
    t.last().h.close(4004, 'Authentication failed.');
    t.timers.advance(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.client.state()).toMatchObject({ running: false, connected: false });
    expect(t.client.state().lastError).toContain('4004');
  });

  it('re-identifies after INVALID_SESSION with d=false', async () => {
    const t = setup();
    t.client.start();
    await t.flush();
    t.ready();
    t.recv({ op: OP.INVALID_SESSION, d: false });
    t.timers.advance(1_000);
    await t.flush();
    t.recv({ op: OP.HELLO, d: { heartbeat_interval: 1_000 } });
    expect(t.last().url).toBe('wss://gw.test/?v=10&encoding=json');
    expect(t.last().sent[0]).toMatchObject({ op: OP.IDENTIFY });
  });

  it('reports each handled position as a checkpoint, and a session that cannot resume as null', async () => {
    const t = setup();
    t.client.start();
    await t.flush();
    t.ready();
    t.recv({ op: OP.DISPATCH, s: 2, t: 'MESSAGE_CREATE', d: { id: 'm2' } });
    await t.flush();
    expect(t.checkpoints).toEqual([
      { sessionId: 's1', resumeUrl: 'wss://resume.test', handledSeq: 1 },
      { sessionId: 's1', resumeUrl: 'wss://resume.test', handledSeq: 2 },
    ]);
    t.recv({ op: OP.INVALID_SESSION, d: false });
    expect(t.checkpoints.at(-1)).toBeNull();
  });

  it('starts from a saved checkpoint: the first connection RESUMEs at the saved URL and seq', async () => {
    const t = setup({ resume: { sessionId: 'saved', resumeUrl: 'wss://resume.saved', handledSeq: 41 } });
    t.client.start();
    await t.flush();
    expect(t.last().url).toBe('wss://resume.saved/?v=10&encoding=json');
    t.recv({ op: OP.HELLO, d: { heartbeat_interval: 1_000 } });
    expect(t.last().sent[0]).toEqual({ op: OP.RESUME, d: { token: 'bot-token', session_id: 'saved', seq: 41 } });
    t.recv({ op: OP.DISPATCH, s: 42, t: 'MESSAGE_CREATE', d: { id: 'missed' } });
    await t.flush();
    expect(t.handled).toEqual([['MESSAGE_CREATE', { id: 'missed' }]]);
    expect(t.checkpoints.at(-1)).toEqual({ sessionId: 'saved', resumeUrl: 'wss://resume.saved', handledSeq: 42 });
  });
});
