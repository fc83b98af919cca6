// The workerd side of the contract suites: the Worker's own fetch handler; a "crash" aborts every object.
import { abortAllDurableObjects, applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll } from 'vitest';
import { TEST_QUEUE_CAP, TEST_TOKEN } from '../contract/constants.ts';
import { connectOperator, type Harness } from '../contract/harness.ts';
import { FrameClient, type WsLike } from '../contract/ws-client.ts';

/** Applies the registry migrations before the file's tests and returns the contract harness. */
export function useWorkersHarness(): Harness {
  beforeAll(async () => {
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  });
  return {
    token: TEST_TOKEN,
    queueCap: TEST_QUEUE_CAP,
    fetch: (path, init) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init)),
    crashAndRestart: () => abortAllDurableObjects(),
  };
}

/**
 * Opens a WebSocket to the Worker's gateway (`/`) as seen from `remote` (cf-connecting-ip).
 * @example const client = await openGateway('192.0.2.77')
 */
export async function openGateway(remote = '192.0.2.77'): Promise<FrameClient> {
  const res = await exports.default.fetch(new Request('https://edgeclaw.test/', { headers: { Upgrade: 'websocket', 'cf-connecting-ip': remote } }));
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
  const ws = res.webSocket;
  const client = new FrameClient(ws as unknown as WsLike);
  ws.accept();
  return client;
}

/**
 * A gateway client connected as an operator with `token`, narrowed to `scopes` when given.
 * @example const reader = await operatorClient(TEST_TOKEN, ['operator.read'])
 */
export async function operatorClient(token: string, scopes?: string[], remote?: string): Promise<FrameClient> {
  return connectOperator(await openGateway(remote), token, scopes);
}

/**
 * One request frame over `POST /rpc` with the admin token; the response frame.
 * @example const r = await rpcFrame('config.get', {})
 */
export async function rpcFrame(method: string, params: unknown, token = TEST_TOKEN) {
  const res = await exports.default.fetch(
    new Request('https://edgeclaw.test/rpc', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'req', id: '1', method, params }),
    }),
  );
  // SAFETY: the tests read the payloads they expect and fail on any other shape.
  return (await res.json()) as { ok: boolean; payload?: Record<string, any>; error?: { code: string; message: string; details?: Record<string, any> } };
}
