/**
 * WhatsApp Cloud API webhooks (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks): the
 * X-Hub-Signature-256 check (`sha256=` + hex HMAC-SHA256 of the raw body with the app secret, constant
 * time), the payload schema (loose: Meta adds fields), and text messages → channel envelopes.
 */
import { z } from 'zod';
import { constantTimeEqual } from '../../auth.ts';
import { buildSessionKey, type DmScope } from '../../sessions/session-key.ts';
import type { InboundEnvelope, ReplyTarget } from '../envelope.ts';

/** Hex HMAC-SHA256 of `body` under `secret` (WebCrypto, both runtimes). */
async function hmacHex(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Array.from(new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(body))), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The header value Meta sends for `body` (tests and the fake sign with it). */
export async function signWhatsAppBody(appSecret: string, body: string): Promise<string> {
  return `sha256=${await hmacHex(appSecret, body)}`;
}

/**
 * True when `header` is the valid signature of `body`.
 * @example await verifyWhatsAppSignature(secret, raw, c.req.header('x-hub-signature-256'))
 */
export async function verifyWhatsAppSignature(appSecret: string, body: string, header: string | undefined): Promise<boolean> {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  return constantTimeEqual(header, await signWhatsAppBody(appSecret, body));
}

const Digits = z.string().regex(/^\d{1,32}$/);

/** One inbound message (text is the only type edgeclaw reads today). */
const MessageSchema = z.looseObject({
  from: Digits,
  id: z.string().regex(/^[A-Za-z0-9._=+/-]{1,256}$/),
  timestamp: z.string().regex(/^\d{1,12}$/),
  type: z.string().max(32),
  text: z.looseObject({ body: z.string().max(65_536) }).optional(),
});

/** The webhook body. */
export const WhatsAppWebhookSchema = z.looseObject({
  object: z.string().max(64),
  entry: z
    .array(
      z.looseObject({
        changes: z
          .array(
            z.looseObject({
              field: z.string().max(64),
              value: z.looseObject({
                metadata: z.looseObject({ phone_number_id: Digits }).optional(),
                contacts: z.array(z.looseObject({ wa_id: Digits.optional(), profile: z.looseObject({ name: z.string().max(256).optional() }).optional() })).max(100).optional(),
                messages: z.array(MessageSchema).max(100).optional(),
              }),
            }),
          )
          .max(100),
      }),
    )
    .max(100),
});
/** A parsed body. */
export type WhatsAppWebhook = z.infer<typeof WhatsAppWebhookSchema>;

/** The text messages of a webhook addressed to `phoneNumberId`, as envelopes (other types are counted). */
export function normalizeWhatsApp(body: WhatsAppWebhook, account: string, phoneNumberId: string): { envelopes: InboundEnvelope[]; skipped: number } {
  const envelopes: InboundEnvelope[] = [];
  let skipped = 0;
  for (const entry of body.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages' || change.value.metadata?.phone_number_id !== phoneNumberId) continue;
      for (const m of change.value.messages ?? []) {
        if (m.type !== 'text' || !m.text?.body.trim()) {
          skipped++;
          continue;
        }
        const name = change.value.contacts?.find((c) => c.wa_id === m.from)?.profile?.name;
        envelopes.push({
          channel: 'whatsapp',
          account,
          transportId: m.id,
          messageId: m.id,
          sender: { id: m.from, isBot: false, ...(name ? { displayName: name } : {}) },
          chat: { kind: 'dm', id: m.from },
          text: m.text.body,
          mentionsSelf: false,
          sentAt: Number(m.timestamp) * 1000,
        });
      }
    }
  }
  return { envelopes, skipped };
}

/** The session of a WhatsApp sender (by `dmScope`). */
export function whatsappSessionKey(env: InboundEnvelope, r: { agentId: string; dmScope: DmScope }): string {
  return buildSessionKey({ agentId: r.agentId.toLowerCase(), channel: 'whatsapp', account: env.account, peerKind: 'direct', peerId: env.sender.id }, { dmScope: r.dmScope });
}

/** Where the reply goes: back to the sender's number. */
export function whatsappReplyTarget(env: InboundEnvelope): ReplyTarget {
  return { channel: 'whatsapp', account: env.account, chatId: env.sender.id };
}

const TARGET = /^whatsapp:([a-z0-9_-]{1,64}):(\d{1,32})$/;

/** Parses the text form of a WhatsApp reply target (`whatsapp:<account>:<wa_id>`), or null. */
export function parseWhatsAppTarget(text: string): ReplyTarget | null {
  const m = TARGET.exec(text);
  return m ? { channel: 'whatsapp', account: m[1]!, chatId: m[2]! } : null;
}
