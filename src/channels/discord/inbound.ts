/**
 * Plain Discord messages from the Gateway (Node only): MESSAGE_CREATE → envelope → activation (DMs by
 * policy; in servers only mentions of the bot or replies to it) → the session, durably. A throw means
 * nothing was recorded, and the Gateway client resumes from before the message, so it comes again.
 */
import type { Logger } from '../../log.ts';
import { decideActivation } from '../activation.ts';
import { inboundKey, type InboundSink } from '../envelope.ts';
import type { PlainOutbox } from '../chunk-outbox.ts';
import { discordActivation, type DiscordAccount } from './config.ts';
import { discordReplyTarget, discordSessionKey, MessageCreateSchema, normalizeMessage } from './events.ts';

/** What handling one message did. */
export type GatewayMessageOutcome = 'queued' | 'duplicate' | 'rejected' | 'ignored' | 'answered';

/** The answer an unknown DM sender gets under `dmPolicy: pairing`. */
export function discordDmPairingText(userId: string): string {
  return `This assistant is private and does not know you yet.\nYour Discord user id: ${userId}\nAsk its owner to add it to allowFrom (DISCORD_ALLOW_FROM); then write again.`;
}

/**
 * Handles one MESSAGE_CREATE payload of `account`.
 * @example await handleGatewayMessage(data, { account, botUserId, sink, notices, log })
 */
export async function handleGatewayMessage(
  data: unknown,
  deps: { account: DiscordAccount; botUserId: string | null; sink: InboundSink; notices: PlainOutbox; log: Logger },
): Promise<GatewayMessageOutcome> {
  const parsed = MessageCreateSchema.safeParse(data);
  if (!parsed.success) {
    deps.log.warn('discord message skipped (invalid)', { issue: parsed.error.issues[0]?.message });
    return 'ignored';
  }
  const n = normalizeMessage(parsed.data, deps.account.id, deps.botUserId);
  if (!n.ok) return 'ignored';
  const env = n.envelope;
  const activation = decideActivation(env, discordActivation(deps.account), { addressed: false });
  if (activation.action === 'ignore') return 'ignored';
  const target = discordReplyTarget(env);
  if (activation.action === 'pair') {
    const r = await deps.notices.deliverPlain(`notice:${inboundKey(env)}`, target, discordDmPairingText(activation.senderId));
    if (r.status !== 'sent') deps.log.warn('discord pairing notice not delivered', { error: r.error });
    return 'answered';
  }
  if (!env.text) return 'ignored';
  const result = await deps.sink.deliver({ sessionKey: discordSessionKey(env, deps.account), idempotencyKey: inboundKey(env), text: env.text, target, envelope: env });
  return result.status;
}
