// Serves a fake Hono app on 127.0.0.1 port 0 with @hono/node-server (Node tests only).
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';

/** A fake listening on a real socket. */
export interface ServedFake {
  url: string;
  close(): Promise<void>;
}

/** Listens on a free loopback port; `close()` also drops open connections (hung streams). */
export function serveOnPort0(app: Hono): Promise<ServedFake> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
