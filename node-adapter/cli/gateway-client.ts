/**
 * A real gateway client for the CLI: dials a running gateway over WebSocket (`ws` package), waits for
 * `connect.challenge`, sends `connect` with the token, then sends requests. Protocol: reference/openclaw-protocol.md.
 */
import WebSocket from 'ws';
import { CommandFailure, UsageError } from './common.ts';

/** Default gateway address (the Node server's default bind). */
export const DEFAULT_GATEWAY_URL = 'ws://127.0.0.1:18789';

/** Flags of every command that talks to a gateway. */
export const GATEWAY_FLAGS = {
  url: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string', default: '10000' },
} as const;

/** Where to connect and with what. */
export interface GatewayTarget {
  url: string;
  token: string;
  timeoutMs: number;
}

/** A response frame's error. */
export interface RemoteError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Raised when the gateway answers a request with `ok:false`. */
export class GatewayCallError extends CommandFailure {
  readonly error: RemoteError;
  constructor(method: string, error: RemoteError) {
    super(`${method} failed: ${error.code}: ${error.message}`, error, method !== 'connect' && error.code === 'INVALID_REQUEST' ? 2 : 1);
    this.error = error;
  }
}

/** Resolves flags and env (`EDGECLAW_GATEWAY_URL`, `EDGECLAW_GATEWAY_TOKEN`) into a target; http(s) URLs become ws(s). */
export function gatewayTarget(values: { url?: string | undefined; token?: string | undefined; timeout?: string | undefined }, env: NodeJS.ProcessEnv): GatewayTarget {
  const raw = values.url ?? env.EDGECLAW_GATEWAY_URL ?? DEFAULT_GATEWAY_URL;
  let url: URL;
  try {
    url = new URL(raw.replace(/^http(s?):/, 'ws$1:'));
  } catch {
    throw new UsageError(`--url: expected a ws:// or wss:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`--url: expected a ws:// or wss:// URL, got ${JSON.stringify(raw)}`);
  const token = values.token ?? env.EDGECLAW_GATEWAY_TOKEN;
  if (!token) throw new UsageError('no gateway token: pass --token or set EDGECLAW_GATEWAY_TOKEN (start prints the generated one once)');
  const timeoutMs = Number(values.timeout ?? 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) throw new UsageError('--timeout: expected milliseconds between 100 and 600000');
  return { url: url.href, token, timeoutMs };
}

type Frame = { type: string; id?: string; ok?: boolean; event?: string; payload?: unknown; error?: RemoteError };

/** One authenticated connection. */
export interface GatewaySession {
  /** The hello-ok payload. */
  readonly hello: Record<string, unknown>;
  call(method: string, params?: unknown): Promise<unknown>;
  /**
   * A two-phase call (`agent`): the first response is `{status:"accepted"}`, the final one comes later on
   * the same id. Resolves to the final payload; `timeoutMs` bounds the whole wait.
   */
  callFinal(method: string, params: unknown, timeoutMs: number, onAccepted?: (payload: unknown) => void): Promise<unknown>;
  close(): void;
}

/** Connects and completes the handshake; throws CommandFailure with the gateway's reason when refused. */
export async function connectGateway(target: GatewayTarget, client = { id: 'edgeclaw-cli', mode: 'cli' }): Promise<GatewaySession> {
  const ws = new WebSocket(target.url, { handshakeTimeout: target.timeoutMs, maxPayload: 16 * 1024 * 1024 });
  const pending = new Map<string, { resolve(f: Frame): void; reject(e: Error): void; accepted?: (f: Frame) => void }>();
  let challenge: (() => void) | null = null;
  let closedReason: string | null = null;
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  ws.on('message', (data) => {
    let frame: Frame;
    try {
      frame = JSON.parse(String(data)) as Frame;
    } catch {
      return;
    }
    if (frame.type === 'event' && frame.event === 'connect.challenge') challenge?.();
    if (frame.type === 'res' && frame.id) {
      const p = pending.get(frame.id);
      // Two-phase methods answer `accepted` first; the request stays pending for the final frame.
      if (p?.accepted && frame.ok && (frame.payload as { status?: unknown } | undefined)?.status === 'accepted') return p.accepted(frame);
      p?.resolve(frame);
      pending.delete(frame.id);
    }
  });
  ws.on('close', (code, reason) => {
    closedReason = `connection closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`;
    failAll(new CommandFailure(closedReason));
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CommandFailure(`no connect.challenge from ${target.url} within ${target.timeoutMs} ms`)), target.timeoutMs);
    challenge = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(new CommandFailure(`cannot reach the gateway at ${target.url}: ${(err as NodeJS.ErrnoException).code ?? err.message}; is it running? (edgeclaw start)`));
    });
  }).catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
  ws.on('error', (err) => failAll(new CommandFailure(`gateway connection error: ${err.message}`)));

  let n = 0;
  const request = (method: string, params: unknown, twoPhase?: { timeoutMs: number; onAccepted?: (payload: unknown) => void }): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      if (closedReason) return reject(new CommandFailure(closedReason));
      const id = `cli-${++n}`;
      const waitMs = twoPhase?.timeoutMs ?? target.timeoutMs;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new CommandFailure(`${method}: no ${twoPhase ? 'final ' : ''}response within ${waitMs} ms`));
      }, waitMs);
      pending.set(id, {
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (e) => (clearTimeout(timer), reject(e)),
        ...(twoPhase ? { accepted: (f: Frame) => twoPhase.onAccepted?.(f.payload) } : {}),
      });
      ws.send(JSON.stringify({ type: 'req', id, method, ...(params === undefined ? {} : { params }) }));
    });

  const connect = {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: client.id, version: '1', platform: process.platform, mode: client.mode, instanceId: crypto.randomUUID() },
    caps: [],
    auth: { token: target.token },
    role: 'operator',
  };
  const hello = await request('connect', connect).catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
  if (!hello.ok) {
    ws.terminate();
    throw new GatewayCallError('connect', hello.error ?? { code: 'UNAVAILABLE', message: 'refused' });
  }
  return {
    hello: hello.payload as Record<string, unknown>,
    async call(method, params) {
      const res = await request(method, params);
      if (!res.ok) throw new GatewayCallError(method, res.error ?? { code: 'UNAVAILABLE', message: 'failed' });
      return res.payload;
    },
    async callFinal(method, params, timeoutMs, onAccepted) {
      const res = await request(method, params, { timeoutMs, ...(onAccepted ? { onAccepted } : {}) });
      if (!res.ok) throw new GatewayCallError(method, res.error ?? { code: 'UNAVAILABLE', message: 'failed' });
      return res.payload;
    },
    close() {
      ws.close(1000, 'done');
    },
  };
}

/** Connects, makes one call, closes. */
export async function callGateway(target: GatewayTarget, method: string, params?: unknown): Promise<unknown> {
  const session = await connectGateway(target);
  try {
    return await session.call(method, params);
  } finally {
    session.close();
  }
}
