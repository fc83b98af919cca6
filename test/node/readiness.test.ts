// Readiness on the Node bindings, in-process: /readyz is 503 with the reason until the registry is
// migrated and the host says the socket listens; /healthz is live throughout.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { resolveConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { createBindings } from '../../node-adapter/bindings.ts';
import { NodeD1Database } from '../../node-adapter/d1.ts';
import { DurableObjectHost } from '../../node-adapter/do-host.ts';
import { migrateRegistry } from '../../node-adapter/migrate.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import { MIGRATIONS } from '../../src/storage/migrations.gen.ts';
import { tempDir } from './server-process.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('readiness on node bindings', () => {
  it('reports pending migrations, then a host reason, then ready', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const config = resolveConfig({ dataDir: dir.path }, {}, 'test');
    const db = openDatabase(join(dir.path, 'registry.sqlite'));
    cleanups.push(() => db.close());
    const host = new DurableObjectHost({ dataDir: dir.path, maxActive: 8, idleEvictMs: 60_000, log: createLogger('error') });
    cleanups.push(() => host.close(1_000));
    const env = createBindings(config, { registry: new NodeD1Database(db), host, adminTokenDigest: `sha256:${'0'.repeat(64)}` });
    let listening = false;
    const app = createApp({ readiness: [() => (listening ? null : 'gateway socket not listening')] });

    const first = await app.request('/readyz', {}, env);
    expect(first.status).toBe(503);
    expect(await first.json()).toMatchObject({ ready: false, reason: `registry migrations pending: ${MIGRATIONS.map((m) => m.name).join(', ')}` });
    expect((await app.request('/healthz', {}, env)).status).toBe(200);

    migrateRegistry(db);
    const second = await app.request('/readyz', {}, env);
    expect(second.status).toBe(503);
    expect(await second.json()).toEqual({ ready: false, reason: 'gateway socket not listening', problems: ['gateway socket not listening'] });

    listening = true;
    const third = await app.request('/readyz', {}, env);
    expect(third.status).toBe(200);
    expect(await third.json()).toEqual({ ready: true });
  });
});
