// Serves a fake Hono app on 127.0.0.1 port 0 with @hono/node-server (Node tests only).
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { afterAll, beforeAll } from 'vitest';

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

/**
 * Serves `app` on port 0 for the tests of the file (or describe block) that calls it: started before them,
 * closed after them, once `release` (e.g. ending held long polls) ran.
 * @example const served = useServedFake(fake.app, () => fake.releaseAll()); // then `${served.url}/bot…`
 */
export function useServedFake(app: Hono, release?: () => void): { readonly url: string } {
  let served: ServedFake | undefined;
  beforeAll(async () => {
    served = await serveOnPort0(app);
  });
  afterAll(async () => {
    release?.();
    await served?.close();
  });
  return {
    get url() {
      if (!served) throw new Error('the fake is served from beforeAll on');
      return served.url;
    },
  };
}
