// A fake OAuth 2.0 authorization server for the device flow (RFC 8628), as an IdP behaves: POST /device/code
// (client_id, scope, optional PKCE S256 challenge) → device_code, user_code, verification_uri, expires_in,
// interval; POST /token with the device_code grant → authorization_pending until the user approves
// (POST /approve {user_code}, what a person does at the verification page) or denies, slow_down when
// polled faster than the interval, expired_token after expiry, invalid_grant on a wrong code_verifier;
// the refresh_token grant rotates tokens. Every request is recorded.
import { Hono } from 'hono';

interface Grant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  challenge: string | null;
  expiresAt: number;
  intervalMs: number;
  lastPoll: number;
  state: 'pending' | 'approved' | 'denied' | 'issued';
}

/** Creates the fake; `expiresIn`/`interval` in seconds, `tokenTtl` the access token lifetime in seconds. */
export function createFakeOAuthDevice(opts: { expiresIn?: number; interval?: number; tokenTtl?: number; clientId?: string } = {}) {
  const grants = new Map<string, Grant>();
  const refresh = new Map<string, string>();
  const requests: Array<{ path: string; form: Record<string, string> }> = [];
  let issued = 0;
  const app = new Hono();
  const clientId = opts.clientId ?? 'edgeclaw-test';
  const err = (error: string, status = 400) => Response.json({ error, error_description: error.replace(/_/g, ' ') }, { status });
  const b64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const tokens = () => {
    issued++;
    const rt = `rt-${issued}-${crypto.randomUUID()}`;
    const at = `at-${issued}-${crypto.randomUUID()}`;
    refresh.set(rt, at);
    return { access_token: at, token_type: 'Bearer', expires_in: opts.tokenTtl ?? 3600, refresh_token: rt };
  };

  app.post('/device/code', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    requests.push({ path: '/device/code', form });
    if (form.client_id !== clientId) return err('invalid_client', 401);
    if (form.code_challenge && form.code_challenge_method !== 'S256') return err('invalid_request');
    const userCode = `${Math.random().toString(36).slice(2, 6)}-${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
    const g: Grant = { deviceCode: crypto.randomUUID(), userCode, clientId, challenge: form.code_challenge ?? null, expiresAt: Date.now() + (opts.expiresIn ?? 600) * 1000, intervalMs: (opts.interval ?? 1) * 1000, lastPoll: 0, state: 'pending' };
    grants.set(g.deviceCode, g);
    const origin = new URL(c.req.url).origin;
    return c.json({ device_code: g.deviceCode, user_code: userCode, verification_uri: `${origin}/activate`, verification_uri_complete: `${origin}/activate?user_code=${userCode}`, expires_in: opts.expiresIn ?? 600, interval: opts.interval ?? 1 });
  });

  app.post('/token', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    requests.push({ path: '/token', form });
    if (form.client_id !== clientId) return err('invalid_client', 401);
    if (form.grant_type === 'refresh_token') {
      if (!form.refresh_token || !refresh.has(form.refresh_token)) return err('invalid_grant');
      refresh.delete(form.refresh_token);
      return c.json(tokens());
    }
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') return err('unsupported_grant_type');
    const g = grants.get(form.device_code ?? '');
    if (!g) return err('invalid_grant');
    if (Date.now() > g.expiresAt) return err('expired_token');
    if (g.challenge) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(form.code_verifier ?? '')));
      if (b64url(digest) !== g.challenge) return err('invalid_grant');
    }
    const now = Date.now();
    const tooSoon = now - g.lastPoll < g.intervalMs - 100;
    g.lastPoll = now;
    if (g.state === 'denied') return err('access_denied');
    if (g.state === 'issued') return err('invalid_grant');
    if (tooSoon && g.state === 'pending') return err('slow_down');
    if (g.state === 'pending') return err('authorization_pending');
    g.state = 'issued';
    return c.json(tokens());
  });

  // What the person does at the verification page.
  app.post('/approve', async (c) => {
    const { user_code, deny } = (await c.req.json()) as { user_code: string; deny?: boolean };
    const g = [...grants.values()].find((x) => x.userCode === user_code);
    if (!g) return c.json({ ok: false }, 404);
    g.state = deny ? 'denied' : 'approved';
    return c.json({ ok: true });
  });

  return { app, requests, issuedCount: () => issued };
}
