// Baseline for bench/gateway.mjs: a bare `ws` server answering each {type:"req",id} frame with a res frame.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer((_, res) => res.end('ok'));
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: { ok: true, ts: Date.now() } }));
  });
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ level: 'info', msg: 'listening', url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
