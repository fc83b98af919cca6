// Gateway limits that only the Node host can enforce (workerd reports no bufferedAmount): a slow consumer is
// closed instead of buffering without bound, and frames over maxPayload close the socket with 1009.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import type { FrameClient, WsLike } from '../contract/ws-client.ts';
import { operatorClient, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;

async function authed(): Promise<{ ws: WsLike; client: FrameClient }> {
  const client = await operatorClient(server.url, TEST_TOKEN, ['operator.read']);
  return { ws: client.ws, client };
}

beforeAll(async () => {
  server = await spawnServer({
    PORT: '0',
    EDGECLAW_DATA_DIR: dir.path,
    EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN,
    EDGECLAW_GATEWAY_MAX_BUFFERED_BYTES: '65536',
    EDGECLAW_GATEWAY_MAX_PAYLOAD: '100000',
  });
});

afterAll(async () => {
  await stopServer(server);
  dir.cleanup();
});

describe('gateway limits on node', () => {
  it('closes a consumer that stops reading with 1008 slow consumer, and stays healthy', { timeout: 120_000 }, async () => {
    const { ws, client } = await authed();
    // Stop reading from the TCP socket: responses pile up on the server side.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    // ~40k responses (~25 MB) exceed what loopback socket buffers absorb, so the server's backlog grows.
    for (let i = 0; i < 40_000; i++) ws.send(JSON.stringify({ type: 'req', id: String(i), method: 'health', params: {} }));
    // Stay unread while the server works through the requests (a wait, not a timing assertion).
    await new Promise((r) => setTimeout(r, 10_000));
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await client.closed(60_000);
    expect(closed).toEqual({ code: 1008, reason: 'slow consumer' });
    const fresh = await authed();
    expect((await fresh.client.req('health', {})).ok).toBe(true);
    fresh.ws.close();
  });

  it('closes with 1009 when an authenticated frame exceeds maxPayload', async () => {
    const { ws, client } = await authed();
    ws.send(JSON.stringify({ type: 'req', id: 'big', method: 'health', params: { pad: 'y'.repeat(150_000) } }));
    expect((await client.closed()).code).toBe(1009);
  });
});
