// Readiness on workerd: /readyz is 503 with the reason until the registry is migrated.
import { applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/storage/migrations.gen.ts';

const get = (path: string) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`));

describe('readiness on workers', () => {
  it('is 503 naming the pending migrations until they are applied, then 200', async () => {
    const before = await get('/readyz');
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ready: false, reason: `registry migrations pending: ${MIGRATIONS.map((m) => m.name).join(', ')}` });
    expect((await get('/healthz')).status).toBe(200);
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    const after = await get('/readyz');
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ready: true });
  });
});
