/** One gateway method call over `POST /rpc` with the admin token (Node server tests). */
import { TEST_TOKEN } from '../contract/constants.ts';

let n = 0;

/** Calls `method` on the server at `url`; resolves to the response frame. */
export async function rpcCall(url: string, method: string, params: unknown): Promise<{ ok: boolean; payload: Record<string, unknown>; error?: unknown }> {
  const res = await fetch(`${url}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify({ type: 'req', id: `rpc${++n}`, method, params }) });
  return (await res.json()) as { ok: boolean; payload: Record<string, unknown>; error?: unknown };
}
