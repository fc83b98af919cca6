// Secrets written through config.patch on workerd: the value goes to D1's `secrets` table (the registry the
// Node host keeps in its own file), the stored overlay keeps a `secret:` reference, config.get never shows
// the value, and a reference to a secret that is not stored is refused naming the path.
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { rpcFrame } from './contract-harness.ts';

const rpc = (method: string, params: unknown) => rpcFrame(method, params);

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describe('config secrets on workers', () => {
  it('stores a patched secret in D1 and only a reference in the overlay', async () => {
    const secret = `hooks-${crypto.randomUUID()}`;
    const before = (await rpc('config.get', {})).payload!;
    const patched = await rpc('config.patch', { raw: JSON.stringify({ hooks: { token: secret } }), baseHash: before.hash });
    expect(patched.ok, JSON.stringify(patched.error)).toBe(true);
    const row = await env.DB.prepare(`SELECT value, updated_by FROM secrets WHERE name = 'hooks.token'`).first<{ value: string; updated_by: string }>();
    expect(row).toEqual({ value: secret, updated_by: 'config.patch' });
    const after = (await rpc('config.get', {})).payload!;
    expect(after.parsed.hooks.token).toBe('secret:hooks.token');
    expect(JSON.stringify(after)).not.toContain(secret);

    const dangling = await rpc('config.patch', { raw: JSON.stringify({ hooks: { token: 'secret:no.such.secret' } }), baseHash: after.hash });
    expect(dangling.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid config: hooks.token: secret "no.such.secret" is not in the secret store', details: { issues: [{ path: 'hooks.token' }] } });
  });
});
