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
