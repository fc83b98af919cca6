/**
 * signal-cli receive events (the `data` of each `receive` event on `/api/v1/events`, and the params of
 * a JSON-RPC `receive` notification): `{account, envelope:{source, sourceNumber, sourceUuid, sourceName,
 * timestamp, dataMessage:{timestamp, message, groupInfo:{groupId}, mentions[], quote}}}`, as a loose zod
 * schema, and their normalisation into the channel envelope. The dedupe key is source + timestamp.
 */
import { z } from 'zod';
import { buildSessionKey, formatSessionKey, type DmScope } from '../../sessions/session-key.ts';
import type { InboundEnvelope, ReplyTarget } from '../envelope.ts';

const Number_ = z.string().regex(/^\+\d{6,16}$/);
const Uuid = z.string().regex(/^[0-9a-fA-F-]{36}$/);
const GroupId = z.string().regex(/^[A-Za-z0-9+/=_-]{1,100}$/);

/** One receive event. */
export const SignalEventSchema = z.looseObject({
  account: z.string().max(64).optional(),
  envelope: z.looseObject({
    source: z.string().max(64).optional(),
    sourceNumber: Number_.nullable().optional(),
    sourceUuid: Uuid.nullable().optional(),
    sourceName: z.string().max(256).nullable().optional(),
    timestamp: z.number().int().nonnegative(),
    dataMessage: z
      .looseObject({
        timestamp: z.number().int().nonnegative().optional(),
        message: z.string().max(64_000).nullable().optional(),
        groupInfo: z.looseObject({ groupId: GroupId }).nullable().optional(),
        mentions: z.array(z.looseObject({ number: z.string().max(64).nullable().optional(), uuid: z.string().max(64).nullable().optional() })).max(100).nullable().optional(),
        quote: z.looseObject({ id: z.number().int().optional(), author: z.string().max(64).nullable().optional(), authorNumber: z.string().max(64).nullable().optional() }).nullable().optional(),
      })
      .nullable()
      .optional(),
  }),
});
/** A parsed event. */
export type SignalEvent = z.infer<typeof SignalEventSchema>;

/** The normalised message, or why it is not one. */
export type SignalNormalized = { readonly ok: true; readonly envelope: InboundEnvelope } | { readonly ok: false; readonly reason: string };

/**
 * The envelope of a receive event, if it is a text message (receipts, typing and sync messages are not).
 * @example normalizeSignal(event, 'default', '+15550001')
 */
export function normalizeSignal(e: SignalEvent, account: string, selfNumber: string): SignalNormalized {
  const env = e.envelope;
  const data = env.dataMessage;
  const text = data?.message?.trim();
  if (!data || !text) return { ok: false, reason: 'not a text message' };
  const from = env.sourceNumber ?? env.sourceUuid ?? null;
  if (!from) return { ok: false, reason: 'no source' };
  if (from === selfNumber) return { ok: false, reason: 'own message' };
  const group = data.groupInfo?.groupId;
  const quoteAuthor = data.quote?.authorNumber ?? data.quote?.author ?? undefined;
  const ts = data.timestamp ?? env.timestamp;
  return {
    ok: true,
    envelope: {
      channel: 'signal',
      account,
      transportId: `${env.sourceUuid ?? from}:${ts}`,
      messageId: String(ts),
      sender: { id: from, ...(env.sourceName ? { displayName: env.sourceName } : {}), isBot: false },
      chat: group ? { kind: 'group', id: group } : { kind: 'dm', id: from },
      text,
      ...(data.quote?.id !== undefined ? { replyTo: { messageId: String(data.quote.id), ...(quoteAuthor ? { senderId: quoteAuthor } : {}), fromSelf: quoteAuthor === selfNumber } } : {}),
      mentionsSelf: (data.mentions ?? []).some((m) => m.number === selfNumber),
      sentAt: ts,
    },
  };
}

/** The session of a Signal message: DMs by `dmScope`, each group its own session. */
export function signalSessionKey(env: InboundEnvelope, r: { agentId: string; dmScope: DmScope }): string {
  const agentId = r.agentId.toLowerCase();
  if (env.chat.kind === 'dm') return buildSessionKey({ agentId, channel: 'signal', account: env.account, peerKind: 'direct', peerId: env.sender.id.replace(/^\+/, '') }, { dmScope: r.dmScope });
  // Group ids are base64 (case matters, `/` and `=` are not key characters): the key carries them hex-encoded.
  const peerId = Array.from(new TextEncoder().encode(env.chat.id), (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 120);
  return formatSessionKey({ kind: 'peer', agentId, channel: 'signal', account: env.account.toLowerCase(), peerKind: 'group', peerId, thread: null });
}

/** Where the reply goes: the sender (DM) or the group (`g<groupId>`). */
export function signalReplyTarget(env: InboundEnvelope): ReplyTarget {
  return { channel: 'signal', account: env.account, chatId: env.chat.kind === 'group' ? `g${env.chat.id}` : env.chat.id };
}

const TARGET = /^signal:([a-z0-9_-]{1,64}):(\+\d{6,16}|[0-9a-fA-F-]{36}|g[A-Za-z0-9+/=_-]{1,100})$/;

/**
 * Parses the text form of a Signal reply target (`signal:<account>:<+number|uuid|g<groupId>>`), or null.
 * @example parseSignalTarget('signal:default:+15550002')?.chatId === '+15550002'
 */
export function parseSignalTarget(text: string): ReplyTarget | null {
  const m = TARGET.exec(text);
  return m ? { channel: 'signal', account: m[1]!, chatId: m[2]! } : null;
}
