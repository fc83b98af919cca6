// Baseline for the bench: a bare Hono + ws server (GET /healthz, WebSocket echo on /ws) on @hono/node-server.
import { serve, upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';

const app = new Hono();
app.get('/healthz', (c) => c.json({ ok: true }));
// The Telegram bench's bare route: read the body, answer 200.
app.post('/telegram/:account/webhook', async (c) => {
  await c.req.text();
  return c.json({ ok: true });
});
app.get(
  '/ws',
  upgradeWebSocket(() => ({
    onMessage(event, ws) {
      ws.send(event.data);
    },
  })),
);

const wss = new WebSocketServer({ noServer: true });
const hostname = process.env.HOST ?? '127.0.0.1';
const server = serve(
  { fetch: app.fetch, hostname, port: Number(process.env.PORT ?? 0), websocket: { server: wss } },
  (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    console.log(JSON.stringify({ level: 'info', msg: 'listening', url: `http://${host}:${info.port}` }));
  },
);

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    wss.close();
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
  });
}
