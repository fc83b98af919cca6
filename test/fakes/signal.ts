// A fake `signal-cli daemon --http`: POST /api/v1/rpc (JSON-RPC 2.0; `send` to recipients or a group,
// 415 without a JSON content type, JSON-RPC errors for bad params or unknown methods, scripted failures),
// GET /api/v1/events (Server-Sent Events `receive` with ids, the last 1,000 kept and replayed after a
// `Last-Event-ID`, streams dropped on demand), GET /api/v1/check. Same as the daemon (signal-cli-jsonrpc(5)).
import { Hono } from 'hono';

/** One message the fake sent. */
export interface SignalSent {
  recipient?: string[];
  groupId?: string;
  message: string;
  timestamp: number;
  account?: string;
}

/** A scripted failure for the next RPC call. */
export type SignalFailure = { status: 500 } | { rpcError: { code: number; message: string } };

const KEPT = 1_000;

/** Creates the fake daemon for `account` (its own number). */
export function createFakeSignal(account: string) {
  const sent: SignalSent[] = [];
  const failures: SignalFailure[] = [];
  const events: { id: number; data: string }[] = [];
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const lastEventIds: (string | null)[] = [];
  const enc = new TextEncoder();
  let nextId = 0;
  let clock = 1_800_000_000_000;
  let calls = 0;
  const frame = (e: { id: number; data: string }) => enc.encode(`id:${e.id}\nevent:receive\ndata:${e.data}\n\n`);
  const app = new Hono();

  app.post('/api/v1/rpc', async (c) => {
    calls++;
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return c.body(null, 415);
    const req = (await c.req.json().catch(() => null)) as { jsonrpc?: string; method?: string; params?: Record<string, unknown>; id?: unknown } | null;
    if (!req || req.jsonrpc !== '2.0' || typeof req.method !== 'string') return c.json({ jsonrpc: '2.0', error: { code: -32600, message: 'method field must be set', data: null }, id: null });
    const f = failures.shift();
    if (f && 'status' in f) return c.text('ERROR', 500);
    if (f) return c.json({ jsonrpc: '2.0', error: { ...f.rpcError, data: null }, id: req.id });
    if (req.method !== 'send') return c.json({ jsonrpc: '2.0', error: { code: -32601, message: 'Method not implemented', data: null }, id: req.id });
    const p = req.params ?? {};
    const recipient = Array.isArray(p.recipient) ? (p.recipient as string[]) : typeof p.recipient === 'string' ? [p.recipient] : undefined;
    const groupId = typeof p.groupId === 'string' ? p.groupId : undefined;
    if ((!recipient && !groupId) || typeof p.message !== 'string') return c.json({ jsonrpc: '2.0', error: { code: -32602, message: 'Invalid params: no recipients given', data: null }, id: req.id });
    const timestamp = ++clock;
    sent.push({ ...(recipient ? { recipient } : {}), ...(groupId ? { groupId } : {}), message: p.message, timestamp, ...(typeof p.account === 'string' ? { account: p.account } : {}) });
    return c.json({ jsonrpc: '2.0', result: { timestamp, results: [{ type: 'SUCCESS' }] }, id: req.id });
  });

  app.get('/api/v1/events', (c) => {
    const last = c.req.header('last-event-id') ?? null;
    lastEventIds.push(last);
    let ctrl: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        ctrl = controller;
        streams.add(controller);
        // After a known id: the events after it; an unknown id: every kept event; none: live only.
        const at = last === null ? events.length : events.findIndex((e) => String(e.id) === last);
        const from = last === null ? events.length : at >= 0 ? at + 1 : 0;
        for (const e of events.slice(from)) controller.enqueue(frame(e));
      },
      cancel() {
        streams.delete(ctrl);
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  });

  app.get('/api/v1/check', (c) => c.body(null, 200));

  return {
    app,
    sent: () => [...sent],
    calls: () => calls,
    /** Streams open right now. */
    streams: () => streams.size,
    /** The Last-Event-ID of each events request, in order. */
    lastEventIds: () => [...lastEventIds],
    failNext: (...f: SignalFailure[]) => void failures.push(...f),
    /** A text message from `source` (a DM, or in `groupId`); returns its Signal timestamp. */
    receive(o: { source: string; uuid?: string; text: string; groupId?: string; timestamp?: number; mentionsSelf?: boolean }): number {
      const ts = o.timestamp ?? ++clock;
      const data = JSON.stringify({
        envelope: {
          source: o.source,
          sourceNumber: o.source,
          sourceUuid: o.uuid ?? `${o.source.slice(-8).padStart(8, '0')}-0000-4000-8000-000000000000`,
          sourceName: 'Someone',
          sourceDevice: 1,
          timestamp: ts,
          dataMessage: {
            timestamp: ts,
            message: o.text,
            expiresInSeconds: 0,
            viewOnce: false,
            ...(o.groupId ? { groupInfo: { groupId: o.groupId, type: 'DELIVER' } } : {}),
            mentions: o.mentionsSelf ? [{ name: account, number: account, uuid: 'self', start: 0, length: 1 }] : [],
          },
        },
        account,
      });
      const e = { id: ++nextId, data };
      events.push(e);
      while (events.length > KEPT) events.shift();
      for (const s of streams) s.enqueue(frame(e));
      return ts;
    },
    /** Ends every open stream (as a daemon restart or a network drop does). */
    dropStreams(): void {
      for (const s of [...streams]) {
        streams.delete(s);
        s.close();
      }
    },
  };
}
