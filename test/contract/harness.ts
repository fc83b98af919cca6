import { expect } from 'vitest';
import { connectParams, type FrameClient } from './ws-client.ts';

/** What a host must offer the contract suites (implemented for workerd and for the Node server). */
export interface Harness {
  /** Sends a request to the running app (path relative to its origin). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The admin bearer token the host was started with. */
  readonly token: string;
  /** Queue cap the host was started with (EDGECLAW_QUEUE_CAP). */
  readonly queueCap: number;
  /**
   * Loses every in-memory instance while keeping storage: workerd aborts all Durable Objects; the
   * Node server is killed with SIGKILL and started again on the same data dir.
   */
  crashAndRestart(): Promise<void>;
}

/** JSON request helper with the admin token. */
export function authed(h: Harness, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${h.token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return h.fetch(path, { ...init, headers });
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A session key no other test uses. */
export function uniqueSession(tag: string): string {
  return `agent:test:${tag}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Completes the operator handshake on a freshly opened client: reads `connect.challenge`, connects with
 * `token` (narrowed to `scopes` when given) and fails the test, naming the error, when refused.
 * @example const admin = await connectOperator(await h.open(), TEST_TOKEN, ['operator.admin'])
 */
export async function connectOperator(client: FrameClient, token: string, scopes?: string[]): Promise<FrameClient> {
  expect((await client.next()).event).toBe('connect.challenge');
  const hello = await client.req('connect', connectParams({ token }, scopes));
  expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
  return client;
}

/**
 * Words (`word0 word1 …`) cut to `chars` characters: a message long enough to be split into chunks.
 * @example longText(9_994).length === 9_994
 */
export function longText(chars: number): string {
  return Array.from({ length: Math.ceil(chars / 5) }, (_, i) => `word${i % 10}`).join(' ').slice(0, chars);
}

/**
 * Waits until the chunks `read` returns add up to `expected` (joined with spaces), then checks that each is
 * at most `max` characters and that, joined, they are exactly `expected`. Returns the chunks.
 * @example expect(await waitForChunks(() => sent().map((m) => m.text), `echo: ${long}`, 4_000)).toHaveLength(3)
 */
export async function waitForChunks(read: () => string[], expected: string, max: number, timeoutMs = 30_000): Promise<string[]> {
  const chunks = await waitFor(async () => {
    const c = read();
    return c.join(' ').length >= expected.length ? c : undefined;
  }, timeoutMs, 'all chunks');
  for (const c of chunks) expect(c.length).toBeLessThanOrEqual(max);
  expect(chunks.join(' ')).toBe(expected);
  return chunks;
}
