// A fake Slack: the Web API's chat.postMessage as a Hono app (bearer check, 40,000-character limit,
// scripted 429/5xx answers), plus builders of signed Events API requests.
import { Hono } from 'hono';
import { signSlackRequest } from '../../src/channels/slack/signature.ts';

/** One message the fake accepted. */
export interface PostedMessage {
  channel: string;
  text: string;
  thread_ts?: string;
  ts: string;
}

/** A scripted failure for the next call. */
export type SlackFailure = { status: 429; retryAfter: number } | { status: 500 } | { status: 200; error: string };

/** Creates the fake; serve `app` on port 0 (Node) or pass `fetch` as the client's fetch (workerd). */
export function createFakeSlack(botToken: string) {
  const posted: PostedMessage[] = [];
  const failures: SlackFailure[] = [];
  let calls = 0;
  let n = 0;
  const app = new Hono();
  app.post('/api/chat.postMessage', async (c) => {
    calls++;
    if (c.req.header('authorization') !== `Bearer ${botToken}`) return c.json({ ok: false, error: 'invalid_auth' });
    const f = failures.shift();
    if (f?.status === 429) return c.json({ ok: false, error: 'ratelimited' }, 429, { 'retry-after': String(f.retryAfter) });
    if (f?.status === 500) return c.text('upstream trouble', 500);
    if (f) return c.json({ ok: false, error: f.error });
    const body = (await c.req.json()) as { channel?: string; text?: string; thread_ts?: string };
    if (!body.channel || !body.text) return c.json({ ok: false, error: 'no_text' });
    if (body.text.length > 40_000) return c.json({ ok: false, error: 'msg_too_long' });
    const ts = `1800000000.${String(++n).padStart(6, '0')}`;
    posted.push({ channel: body.channel, text: body.text, ...(body.thread_ts ? { thread_ts: body.thread_ts } : {}), ts });
    return c.json({ ok: true, channel: body.channel, ts, message: { text: body.text, ts } });
  });
  return {
    app,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(app.fetch(new Request(input, init))),
    /** Messages accepted so far (in order). */
    posted: () => [...posted],
    /** Calls received (including refused ones). */
    calls: () => calls,
    /** Scripts the next answers. */
    failNext: (...f: SlackFailure[]) => void failures.push(...f),
  };
}

/** An `event_callback` body for a DM. */
export function slackDm(eventId: string, user: string, text: string, opts: { channel?: string; ts?: string; botUserId?: string } = {}) {
  return {
    type: 'event_callback',
    team_id: 'T0001',
    api_app_id: 'A0001',
    event_id: eventId,
    event_time: 1_800_000_000,
    authorizations: [{ user_id: opts.botUserId ?? 'UBOT', is_bot: true }],
    event: { type: 'message', channel_type: 'im', channel: opts.channel ?? `D${user}`, user, text, ts: opts.ts ?? '1800000000.000001' },
  };
}

/** An `app_mention` body (the text starts with the bot's mention, as Slack sends it). */
export function slackMention(eventId: string, user: string, channel: string, text: string, opts: { ts?: string; thread_ts?: string } = {}) {
  return {
    type: 'event_callback',
    team_id: 'T0001',
    event_id: eventId,
    authorizations: [{ user_id: 'UBOT', is_bot: true }],
    event: { type: 'app_mention', channel, user, text: `<@UBOT> ${text}`, ts: opts.ts ?? '1800000000.000100', ...(opts.thread_ts ? { thread_ts: opts.thread_ts } : {}) },
  };
}

/** Headers Slack would send with `body` at `nowMs` (timestamp in seconds). */
export async function slackHeaders(secret: string, body: string, nowMs = Date.now(), extra: Record<string, string> = {}) {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { 'content-type': 'application/json', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': await signSlackRequest(secret, timestamp, body), ...extra };
}
