/**
 * Provider login with the OAuth device flow (RFC 8628): `auth.oauth.providers` (read), `auth.oauth.start`,
 * `auth.oauth.wait` and `auth.oauth.logout` (admin). The GatewayDO keeps logins and tokens; a provider
 * that logs in this way gets its access token at run time (refreshed there when it is about to expire).
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { defineMethod, type MethodContext } from '../registry.ts';

/** The providers that can log in by device flow, from presets and config. */
async function oauthProviders(ctx: MethodContext) {
  const { resolvedModelsOf } = await import('../../providers/env-models.ts');
  return [...resolvedModelsOf(ctx.env).providers.values()].filter((p) => p.oauth);
}

async function providerFor(ctx: MethodContext, raw: string) {
  const { normalizeProviderId } = await import('../../providers/aliases.ts');
  const id = normalizeProviderId(raw);
  const p = (await oauthProviders(ctx)).find((x) => x.id === id);
  if (!p?.oauth) throw new GatewayError('INVALID_REQUEST', `provider "${raw}" has no device login (auth.oauth.providers lists those that do)`, { details: { code: 'OAUTH_UNSUPPORTED_PROVIDER' } });
  return { id, oauth: p.oauth };
}

const Provider = z.string().min(1).max(64);

/** `auth.oauth.providers`: which providers log in by device flow, and which are logged in. */
export const authOAuthProviders = defineMethod({
  name: 'auth.oauth.providers',
  scope: 'operator.read',
  params: z.strictObject({}),
  async handler(ctx) {
    const [providers, logins] = await Promise.all([oauthProviders(ctx), ctx.hub.oauthList()]);
    return {
      providers: providers.map((p) => {
        const l = logins.find((x) => x.provider === p.id);
        return { provider: p.id, name: p.name, hasKey: !!p.apiKey, loggedIn: !!l, expiresAt: l?.expiresAt ?? null, refreshable: l?.refreshable ?? false };
      }),
    };
  },
});

/** `auth.oauth.start`: a device code for the user to confirm at the IdP's verification URL. */
export const authOAuthStart = defineMethod({
  name: 'auth.oauth.start',
  scope: 'operator.admin',
  params: z.strictObject({ provider: Provider }),
  async handler(ctx, p) {
    const { id, oauth } = await providerFor(ctx, p.provider);
    let r;
    try {
      r = await ctx.hub.oauthStart(id, oauth);
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `could not start the login: ${(err as Error).message}`.slice(0, 500));
    }
    if ('error' in r) throw new GatewayError('UNAVAILABLE', r.error, { details: { code: 'OAUTH_TOO_MANY_LOGINS' } });
    return r;
  },
});

/** `auth.oauth.wait`: waits (bounded) until the user confirmed, declined, or the code expired. */
export const authOAuthWait = defineMethod({
  name: 'auth.oauth.wait',
  scope: 'operator.admin',
  params: z.strictObject({ loginId: z.string().uuid(), timeoutMs: z.number().int().min(0).max(120_000).default(30_000) }),
  async handler(ctx, p) {
    const deadline = Date.now() + p.timeoutMs;
    for (;;) {
      const r = await ctx.hub.oauthPoll(p.loginId);
      if (!r) throw new GatewayError('INVALID_REQUEST', `no login ${p.loginId} (it finished more than 10 minutes ago, or never started)`, { details: { code: 'OAUTH_LOGIN_NOT_FOUND' } });
      const left = deadline - Date.now();
      if (r.status !== 'pending' || left <= 0) {
        const { retryInMs, ...view } = r;
        return { ...view, ...(r.status === 'pending' ? { retryInMs } : {}) };
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.min(r.retryInMs, left))));
    }
  },
});

/** `auth.oauth.logout`: forgets a provider's tokens. */
export const authOAuthLogout = defineMethod({
  name: 'auth.oauth.logout',
  scope: 'operator.admin',
  params: z.strictObject({ provider: Provider }),
  async handler(ctx, p) {
    const { normalizeProviderId } = await import('../../providers/aliases.ts');
    return { ok: true, removed: await ctx.hub.oauthLogout(normalizeProviderId(p.provider)) };
  },
});

/** Every auth method. */
export const AUTH_METHODS = [authOAuthProviders, authOAuthStart, authOAuthWait, authOAuthLogout];
