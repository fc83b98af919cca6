// A fake OpenClaw gateway (protocol v4 over ws, port 0) for bridge tests: connect.challenge → connect (token
// checked like openclaw: INVALID_REQUEST + details.code AUTH_TOKEN_MISMATCH) → hello-ok with the granted scopes,
// and the methods the bridge calls (exec.approval.list/resolve, sessions.subscribe, chat.abort, chat.inject).
// Every request is recorded; `hold(method)` defers that method's answers until released (ordering tests).
import { WebSocketServer, type WebSocket } from 'ws';

/** One request the fake received. */
export interface FakeCall {
  method: string;
  params: Record<string, unknown>;
}

/** Options of the fake. */
export interface FakeGatewayOptions {
  token?: string;
  tickIntervalMs?: number;
  /** What `exec.approval.list` returns. */
  pending?: unknown[];
  /** Scopes granted in hello-ok (default: what the client asked for). */
  grant?: string[];
}

/** A running fake gateway. */
export interface FakeGateway {
  url: string;
  calls: FakeCall[];
  sockets: WebSocket[];
  connects: number;
  /** Sends an event frame to every connected client. */
  emit(event: string, payload: unknown): void;
  /** Defers answers to `method` until the returned function is called. */
  hold(method: string): () => void;
  /** Calls of one method (params only). */
  called(method: string): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Starts a fake gateway on 127.0.0.1, port 0.
 * @example const gw = await startFakeGateway({ token: 'T' }); gw.emit('session.message', {...}); await gw.close()
 */
export async function startFakeGateway(opts: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const held = new Map<string, Array<() => void>>();
  const fake: FakeGateway = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    calls: [],
    sockets: [],
    connects: 0,
    emit(event, payload) {
      for (const ws of fake.sockets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'event', event, payload }));
    },
    hold(method) {
      held.set(method, []);
      return () => {
        const waiting = held.get(method) ?? [];
        held.delete(method);
        for (const send of waiting) send();
      };
    },
    called: (method) => fake.calls.filter((c) => c.method === method).map((c) => c.params),
    close: () =>
      new Promise((r) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => r());
      }),
  };
  wss.on('connection', (ws) => {
    fake.sockets.push(ws);
    ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n1', ts: Date.now() } }));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { id: string; method: string; params: Record<string, unknown> };
      fake.calls.push({ method: f.method, params: f.params });
      const reply = (frame: Record<string, unknown>) => {
        const send = () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'res', id: f.id, ...frame }));
        const queue = held.get(f.method);
        if (queue) queue.push(send);
        else send();
      };
      const ok = (payload: unknown) => reply({ ok: true, payload });
      switch (f.method) {
        case 'connect': {
          const auth = f.params.auth as { token?: string } | undefined;
          if (opts.token !== undefined && auth?.token !== opts.token) {
            return reply({ ok: false, error: { code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch (provide gateway auth token)', details: { code: 'AUTH_TOKEN_MISMATCH' } } });
          }
          fake.connects++;
          return ok({
            type: 'hello-ok', protocol: 4, server: { version: 'fake', connId: `c${fake.connects}` }, features: { methods: [], events: [] }, snapshot: {},
            auth: { role: 'operator', scopes: opts.grant ?? f.params.scopes }, policy: { maxPayload: 1e6, maxBufferedBytes: 1e6, tickIntervalMs: opts.tickIntervalMs ?? 30_000 },
          });
        }
        case 'exec.approval.list':
          return ok(opts.pending ?? []);
        case 'exec.approval.resolve':
          return ok({ ok: true });
        case 'sessions.subscribe':
          return ok({ subscribed: true });
        case 'chat.abort':
          return ok({ ok: true, aborted: true, runIds: f.params.runId ? [f.params.runId] : [] });
        case 'chat.inject':
          return ok({ ok: true, messageId: `note-${fake.calls.length}` });
        default:
          return reply({ ok: false, error: { code: 'INVALID_REQUEST', message: `unknown method: ${f.method}` } });
      }
    });
  });
  return fake;
}
