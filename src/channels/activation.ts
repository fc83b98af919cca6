/**
 * Activation rules shared by every channel: DM policy, allowlists, pairing (senders approved through the
 * pairing store count like `allowFrom` entries for DMs, never for groups), group mention/reply/always.
 */
import type { InboundEnvelope } from './envelope.ts';

/** Who may talk to the bot in direct messages. */
export type DmPolicy = 'open' | 'allowlist' | 'pairing' | 'disabled';
/** Which groups the bot listens in. */
export type GroupPolicy = 'open' | 'allowlist' | 'disabled';
/** What wakes the bot in a group: a mention (or reply or command), only a reply (or command), or anything. */
export type GroupActivation = 'mention' | 'reply' | 'always';

/** The effective rules of one account. */
export interface ActivationPolicy {
  readonly dmPolicy: DmPolicy;
  /** Senders allowed in DMs: user ids, `@usernames`, or `*`; `telegram:`/`tg:` prefixes are ignored. */
  readonly allowFrom: readonly string[];
  readonly groupPolicy: GroupPolicy;
  /** Group chat ids allowed under `groupPolicy: allowlist`, or `*`. */
  readonly groups: readonly string[];
  /** Senders allowed inside groups; empty means anyone in an allowed group. */
  readonly groupAllowFrom: readonly string[];
  readonly groupActivation: GroupActivation;
}

/** Secure defaults: DMs need pairing, groups need an allowlist entry and a mention. */
export const DEFAULT_ACTIVATION: ActivationPolicy = {
  dmPolicy: 'pairing',
  allowFrom: [],
  groupPolicy: 'allowlist',
  groups: [],
  groupAllowFrom: [],
  groupActivation: 'mention',
};

/** The activation decision for one message. */
export type Activation =
  | { readonly action: 'accept' }
  /** Not for us: dropped without a reply (the reason is logged, never sent). */
  | { readonly action: 'ignore'; readonly reason: string }
  /** An unknown DM sender under `pairing`: answer with a pairing code (src/channels/pairing.ts), do not queue. */
  | { readonly action: 'pair'; readonly senderId: string };

const PREFIX = /^(telegram|tg):/i;

/** Lower-cased allowlist entry without a channel prefix. */
export function normalizeAllowEntry(entry: string): string {
  return entry.trim().replace(PREFIX, '').toLowerCase();
}

/**
 * True when the sender matches an entry of `list` (id, `@username`, `username`, or `*`).
 * @example senderAllowed(['@Alice'], { id: '1', username: 'alice' }) === true
 */
export function senderAllowed(list: readonly string[], sender: { id: string; username?: string }): boolean {
  const user = sender.username?.toLowerCase();
  return list.some((raw) => {
    const e = normalizeAllowEntry(raw);
    if (e === '*') return true;
    if (e === sender.id.toLowerCase()) return true;
    return user !== undefined && (e === `@${user}` || e === user);
  });
}

/**
 * Whether activation needs to know if the sender was approved through pairing: a human's DM under
 * `pairing` or `allowlist` from a sender not already in `allowFrom` (so allowlisted senders and groups
 * never cost a registry lookup).
 * @example pairingLookupNeeded(dmEnvelope, DEFAULT_ACTIVATION) === true
 */
export function pairingLookupNeeded(env: InboundEnvelope, policy: ActivationPolicy): boolean {
  if (env.sender.isBot || env.chat.kind !== 'dm') return false;
  if (policy.dmPolicy !== 'pairing' && policy.dmPolicy !== 'allowlist') return false;
  return !senderAllowed(policy.allowFrom, env.sender);
}

/**
 * Decides whether a message activates the bot. `approved`: the sender was approved through pairing. `addressed` is true for a command meant for this bot.
 * @example decideActivation(env, DEFAULT_ACTIVATION, { addressed: false })
 */
export function decideActivation(env: InboundEnvelope, policy: ActivationPolicy, opts: { addressed: boolean; approved?: boolean }): Activation {
  if (env.sender.isBot) return { action: 'ignore', reason: 'sender is a bot' };
  if (env.chat.kind === 'dm') {
    const allowed = senderAllowed(policy.allowFrom, env.sender) || opts.approved === true;
    switch (policy.dmPolicy) {
      case 'disabled':
        return { action: 'ignore', reason: 'direct messages disabled' };
      case 'open':
        return { action: 'accept' };
      case 'allowlist':
        return allowed ? { action: 'accept' } : { action: 'ignore', reason: 'sender not in allowFrom' };
      case 'pairing':
        return allowed ? { action: 'accept' } : { action: 'pair', senderId: env.sender.id };
    }
  }
  if (policy.groupPolicy === 'disabled') return { action: 'ignore', reason: 'groups disabled' };
  if (policy.groupPolicy === 'allowlist' && !policy.groups.some((g) => g.trim() === '*' || g.trim() === env.chat.id)) {
    return { action: 'ignore', reason: 'group not in groups allowlist' };
  }
  if (policy.groupAllowFrom.length > 0 && !senderAllowed(policy.groupAllowFrom, env.sender)) {
    return { action: 'ignore', reason: 'sender not in groupAllowFrom' };
  }
  const repliedToUs = env.replyTo?.fromSelf === true;
  switch (policy.groupActivation) {
    case 'always':
      return { action: 'accept' };
    case 'reply':
      return repliedToUs || opts.addressed ? { action: 'accept' } : { action: 'ignore', reason: 'not a reply to the bot' };
    case 'mention':
      return env.mentionsSelf || repliedToUs || opts.addressed ? { action: 'accept' } : { action: 'ignore', reason: 'bot not mentioned' };
  }
}
