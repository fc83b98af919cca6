/**
 * One Telegram update through the inbound path, transport-neutral (webhook and polling share it):
 * normalise → activation → local command → durable hand-off to the session. No model work happens here;
 * short answers (commands, pairing notice) are returned for the caller to send after the acknowledgement.
 */
import { decideActivation, pairingLookupNeeded } from '../activation.ts';
import { PAIRING_TEXTS } from '../pairing.ts';
import { inboundKey, type InboundEnvelope, type InboundSink, type ReplyTarget, type SessionControl } from '../envelope.ts';
import { activationOf, type TelegramAccount } from './config.ts';
import { LOCAL_COMMANDS, parseCommand, runCommand, type CommandServices } from './commands.ts';
import type { InboundPairing } from './pairing.ts';
import { telegramReplyTarget, telegramSessionKey } from './routing.ts';
import { normalizeUpdate, type BotIdentity, type TelegramUpdate } from './update.ts';

/** A short answer to send once the update is acknowledged. */
export interface DirectReply {
  readonly target: ReplyTarget;
  readonly text: string;
  /** Stable id for the outbox (`cmd:<update_id>`), so a redelivered update does not answer twice. */
  readonly key: string;
}

/** What happened to one update. */
export type InboundOutcome =
  | { readonly status: 'queued' | 'duplicate'; readonly sessionKey: string; readonly runId: string; readonly replies: readonly DirectReply[] }
  | { readonly status: 'rejected'; readonly sessionKey: string; readonly reason: string; readonly replies: readonly DirectReply[] }
  | { readonly status: 'answered'; readonly sessionKey: string | null; readonly reason: 'command' | 'pairing' | 'unsupported'; readonly replies: readonly DirectReply[] }
  | { readonly status: 'ignored'; readonly reason: string; readonly replies: readonly DirectReply[] };

/** What the inbound path needs. */
export interface InboundDeps {
  readonly account: TelegramAccount;
  readonly identity: BotIdentity;
  readonly sink: InboundSink;
  readonly control: SessionControl;
  /** The pairing store (`dmPolicy: pairing`); without it unknown senders only get their id (pairing-lite). */
  readonly pairing?: InboundPairing;
  /** What owner and model commands need (`/model`, `/set api key`); without it they say they are unavailable. */
  readonly commands?: CommandServices;
}

/** The answer an unknown DM sender gets when no pairing store is wired (pairing-lite). */
export function pairingText(senderId: string): string {
  return [
    'This assistant is private and does not know you yet.',
    `Your Telegram user id: ${senderId}`,
    'Ask its owner to add this id to the allowlist (allowFrom / TELEGRAM_ALLOW_FROM); then write again.',
  ].join('\n');
}

/** The answer to a message kind the bot cannot read (stickers, polls, locations...). */
export function unsupportedText(kind: string): string {
  return `I can't read ${kind.replace(/_/g, ' ')} messages. Send text, a photo, a document, a voice message, audio or video (a caption helps).`;
}

/**
 * Handles one validated update. Resolves after the session committed it (or decided not to queue it);
 * throws only when the hand-off failed, in which case the transport must not acknowledge.
 * @example const outcome = await handleUpdate(update, deps)
 */
export async function handleUpdate(update: TelegramUpdate, deps: InboundDeps): Promise<InboundOutcome> {
  const { account, identity } = deps;
  const n = normalizeUpdate(update, account.id, identity);
  if (!n.ok) return { status: 'ignored', reason: n.reason, replies: [] };
  const env = n.envelope;
  const cmd = parseCommand(env.text, identity.username);
  if (cmd?.forOther) return { status: 'ignored', reason: 'command for another bot', replies: [] };
  const target = telegramReplyTarget(env);
  const key = `cmd:${inboundKey(env)}`;
  const policy = activationOf(account);
  const approved = deps.pairing && pairingLookupNeeded(env, policy) ? await deps.pairing.isApproved(account.id, env.sender.id) : false;
  const activation = decideActivation(env, policy, { addressed: cmd !== null, approved });
  if (activation.action === 'ignore') return { status: 'ignored', reason: activation.reason, replies: [] };
  if (activation.action === 'pair') return pair(env, deps, { target, key });
  const sessionKey = telegramSessionKey(env, account);
  if (cmd && (LOCAL_COMMANDS as readonly string[]).includes(cmd.name)) {
    const out = await runCommand(cmd, { envelope: env, sessionKey, control: deps.control, ...(deps.commands ? { services: deps.commands } : {}) });
    if (out.kind === 'reply') return { status: 'answered', sessionKey, reason: 'command', replies: [{ target, text: out.text, key }] };
  }
  if (env.text.trim() === '' && !n.hasMedia) {
    if (!n.unsupported) return { status: 'ignored', reason: 'no text', replies: [] };
    return { status: 'answered', sessionKey, reason: 'unsupported', replies: [{ target, text: unsupportedText(n.unsupported), key }] };
  }
  const result = await deps.sink.deliver({ sessionKey, idempotencyKey: inboundKey(env), text: env.text, target, envelope: env });
  if (result.status === 'rejected') {
    const text = 'Too many messages are waiting in this conversation; this one was not queued. Please send it again in a moment.';
    return { status: 'rejected', sessionKey, reason: result.reason, replies: [{ target, text, key }] };
  }
  return { status: result.status, sessionKey, runId: result.runId, replies: [] };
}

/** An unknown DM sender: a pairing code (new or repeated), silence when it was sent recently, or "try later" past the cap. */
async function pair(env: InboundEnvelope, deps: InboundDeps, reply: { target: ReplyTarget; key: string }): Promise<InboundOutcome> {
  if (!deps.pairing) return { status: 'answered', sessionKey: null, reason: 'pairing', replies: [{ ...reply, text: pairingText(env.sender.id) }] };
  const sender = { id: env.sender.id, ...(env.sender.username ? { username: env.sender.username } : {}), ...(env.sender.displayName ? { displayName: env.sender.displayName } : {}) };
  const outcome = await deps.pairing.request(env.account, sender);
  switch (outcome.status) {
    case 'created':
    case 'repeat': {
      const text = PAIRING_TEXTS.code('telegram', outcome.request.code, env.sender.id, 'Telegram user id', deps.pairing.codeTtlMs);
      return { status: 'answered', sessionKey: null, reason: 'pairing', replies: [{ ...reply, text }] };
    }
    case 'quiet':
      return { status: 'ignored', reason: 'pairing code sent recently', replies: [] };
    case 'full':
      if (!outcome.notify) return { status: 'ignored', reason: 'pairing requests full (told recently)', replies: [] };
      return { status: 'answered', sessionKey: null, reason: 'pairing', replies: [{ ...reply, text: PAIRING_TEXTS.full }] };
  }
}
