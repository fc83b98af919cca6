// Activation: DM policies, allowlists, pairing-lite, group allowlists and mention/reply/always.
import { describe, expect, it } from 'vitest';
import { decideActivation, DEFAULT_ACTIVATION, senderAllowed, type ActivationPolicy } from '../../../src/channels/activation.ts';
import type { InboundEnvelope } from '../../../src/channels/envelope.ts';

function env(over: Partial<InboundEnvelope> = {}): InboundEnvelope {
  return {
    channel: 'telegram', account: 'default', transportId: '1', messageId: '10', text: 'hi', mentionsSelf: false, sentAt: 0,
    sender: { id: '42', username: 'alice', isBot: false }, chat: { kind: 'dm', id: '42' }, ...over,
  };
}
const policy = (over: Partial<ActivationPolicy>): ActivationPolicy => ({ ...DEFAULT_ACTIVATION, ...over });
const group = { kind: 'group' as const, id: '-100' };

describe('decideActivation', () => {
  it('answers an unknown DM sender with pairing by default', () => {
    expect(decideActivation(env(), DEFAULT_ACTIVATION, { addressed: false })).toEqual({ action: 'pair', senderId: '42' });
  });

  it('accepts a listed DM sender by id, @username or prefixed id', () => {
    for (const entry of ['42', '@Alice', 'telegram:42', 'tg:42']) {
      expect(decideActivation(env(), policy({ allowFrom: [entry] }), { addressed: false }).action).toBe('accept');
    }
  });

  it('silently ignores unlisted senders under allowlist and everyone when disabled', () => {
    expect(decideActivation(env(), policy({ dmPolicy: 'allowlist', allowFrom: ['7'] }), { addressed: false }).action).toBe('ignore');
    expect(decideActivation(env(), policy({ dmPolicy: 'disabled', allowFrom: ['42'] }), { addressed: false }).action).toBe('ignore');
    expect(decideActivation(env(), policy({ dmPolicy: 'open' }), { addressed: false }).action).toBe('accept');
  });

  it('ignores bots', () => {
    expect(decideActivation(env({ sender: { id: '9', isBot: true } }), policy({ dmPolicy: 'open' }), { addressed: false }).action).toBe('ignore');
  });

  it('ignores groups that are not allowlisted', () => {
    expect(decideActivation(env({ chat: group, mentionsSelf: true }), DEFAULT_ACTIVATION, { addressed: false })).toMatchObject({ action: 'ignore', reason: 'group not in groups allowlist' });
  });

  it('needs a mention, a reply to the bot or a command in an allowed group', () => {
    const p = policy({ groups: ['-100'] });
    expect(decideActivation(env({ chat: group }), p, { addressed: false }).action).toBe('ignore');
    expect(decideActivation(env({ chat: group, mentionsSelf: true }), p, { addressed: false }).action).toBe('accept');
    expect(decideActivation(env({ chat: group, replyTo: { messageId: '1', fromSelf: true } }), p, { addressed: false }).action).toBe('accept');
    expect(decideActivation(env({ chat: group }), p, { addressed: true }).action).toBe('accept');
  });

  it('in reply mode ignores mentions, and in always mode accepts everything', () => {
    expect(decideActivation(env({ chat: group, mentionsSelf: true }), policy({ groups: ['*'], groupActivation: 'reply' }), { addressed: false }).action).toBe('ignore');
    expect(decideActivation(env({ chat: group }), policy({ groups: ['*'], groupActivation: 'always' }), { addressed: false }).action).toBe('accept');
  });

  it('restricts group senders with groupAllowFrom', () => {
    const p = policy({ groups: ['*'], groupActivation: 'always', groupAllowFrom: ['7'] });
    expect(decideActivation(env({ chat: group }), p, { addressed: false })).toMatchObject({ action: 'ignore', reason: 'sender not in groupAllowFrom' });
  });

  it('matches * as everyone and is case-insensitive for usernames', () => {
    expect(senderAllowed(['*'], { id: '1' })).toBe(true);
    expect(senderAllowed(['ALICE'], { id: '1', username: 'alice' })).toBe(true);
    expect(senderAllowed([], { id: '1' })).toBe(false);
  });
});
