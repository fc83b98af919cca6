/**
 * One signal-cli receive event → envelope → activation (DMs by policy; in groups only mentions of the
 * bot or replies to it) → the session, durably. Invalid or non-text events are skipped; a throw means
 * nothing was recorded (the receiver reopens the stream before the event, so it comes again).
 */
import type { Logger } from '../../log.ts';
import { decideActivation } from '../activation.ts';
import type { PlainOutbox } from '../chunk-outbox.ts';
import { inboundKey, type InboundSink } from '../envelope.ts';
import { signalActivation, type SignalAccount } from './config.ts';
import { normalizeSignal, SignalEventSchema, signalReplyTarget, signalSessionKey } from './events.ts';

/** What handling one event did. */
export type SignalEventOutcome = 'queued' | 'duplicate' | 'rejected' | 'ignored' | 'answered';

/** The answer an unknown sender gets under `dmPolicy: pairing`. */
export function signalPairingText(senderId: string): string {
  return `This assistant is private and does not know you yet.\nYour Signal id: ${senderId}\nAsk its owner to add it to allowFrom (SIGNAL_ALLOW_FROM); then write again.`;
}

/**
 * Handles the JSON data of one receive event of `account`.
 * @example await handleSignalEvent(data, { account, sink, notices, log })
 */
export async function handleSignalEvent(data: string, deps: { account: SignalAccount; sink: InboundSink; notices: PlainOutbox; log: Logger }): Promise<SignalEventOutcome> {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    deps.log.warn('signal event skipped (not JSON)');
    return 'ignored';
  }
  const parsed = SignalEventSchema.safeParse(json);
  if (!parsed.success) {
    deps.log.warn('signal event skipped (invalid)', { issue: parsed.error.issues[0]?.message });
    return 'ignored';
  }
  if (parsed.data.account && parsed.data.account !== deps.account.number) return 'ignored';
  const n = normalizeSignal(parsed.data, deps.account.id, deps.account.number);
  if (!n.ok) return 'ignored';
  const env = n.envelope;
  const activation = decideActivation(env, signalActivation(deps.account), { addressed: false });
  if (activation.action === 'ignore') return 'ignored';
  const target = signalReplyTarget(env);
  if (activation.action === 'pair') {
    const r = await deps.notices.deliverPlain(`notice:${inboundKey(env)}`, target, signalPairingText(activation.senderId));
    if (r.status !== 'sent') deps.log.warn('signal pairing notice not delivered', { error: r.error });
    return 'answered';
  }
  const result = await deps.sink.deliver({ sessionKey: signalSessionKey(env, deps.account), idempotencyKey: inboundKey(env), text: env.text, target, envelope: env });
  return result.status;
}
