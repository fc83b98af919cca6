// A fake WhatsApp Cloud API: POST /<version>/<phone-number-id>/messages as a Hono app (bearer check,
// 4,096-character text limit, the 24-hour window error per recipient, scripted rate limits), plus
// builders of signed webhook requests.
import { Hono } from 'hono';
import { signWhatsAppBody } from '../../src/channels/whatsapp/webhook.ts';

/** One text the fake accepted. */
export interface SentText {
  phoneNumberId: string;
  to: string;
  body: string;
  id: string;
}

/** Creates the fake; serve `app` on port 0. */
export function createFakeWhatsApp(accessToken: string) {
  const sent: SentText[] = [];
  const closed = new Set<string>();
  const failures: { status: number; code: number }[] = [];
  let calls = 0;
  let n = 0;
  const graphError = (status: number, code: number, message: string) => ({ error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf' } });
  const app = new Hono();
  app.post('/:version/:phoneNumberId/messages', async (c) => {
    calls++;
    if (c.req.header('authorization') !== `Bearer ${accessToken}`) return c.json(graphError(401, 190, 'Invalid OAuth access token.'), 401);
    const body = (await c.req.json()) as { messaging_product?: string; to?: string; type?: string; text?: { body?: string } };
    if (body.messaging_product !== 'whatsapp' || body.type !== 'text' || !body.to || !body.text?.body) return c.json(graphError(400, 100, 'Invalid parameter'), 400);
    const f = failures.shift();
    if (f) return c.json(graphError(f.status, f.code, 'scripted failure'), f.status as 400);
    if (closed.has(body.to)) return c.json(graphError(400, 131047, 'Re-engagement message'), 400);
    if (body.text.body.length > 4_096) return c.json(graphError(400, 100, 'Param text[body] must be at most 4096 characters long.'), 400);
    const id = `wamid.OUT${++n}`;
    sent.push({ phoneNumberId: c.req.param('phoneNumberId'), to: body.to, body: body.text.body, id });
    return c.json({ messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id }] });
  });
  return {
    app,
    /** Texts accepted so far (in order). */
    sent: () => [...sent],
    calls: () => calls,
    /** Makes sends to `to` fail with 131047 (24 hours since the customer last wrote). */
    closeWindow: (to: string) => void closed.add(to),
    /** Scripts the next answers (e.g. `{ status: 429, code: 130429 }`). */
    failNext: (...f: { status: number; code: number }[]) => void failures.push(...f),
  };
}

/** A webhook body carrying one text message from `from` to `phoneNumberId`. */
export function waText(phoneNumberId: string, from: string, id: string, body: string) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Test User' }, wa_id: from }],
              messages: [{ from, id, timestamp: '1800000000', type: 'text', text: { body } }],
            },
          },
        ],
      },
    ],
  };
}

/** Headers Meta would send with `raw`. */
export async function waHeaders(appSecret: string, raw: string) {
  return { 'content-type': 'application/json', 'x-hub-signature-256': await signWhatsAppBody(appSecret, raw) };
}
