// The channel registry and the shared framework pieces: aliases, reply-target routing, fingerprints,
// shared account resolution errors, the SSE parser of the Signal receiver, Signal/Discord normalisation.
import { describe, expect, it } from 'vitest';
import { accountFingerprint } from '../../../src/channels/channel-driver.ts';
import { CHANNEL_DRIVERS, channelDriver, normalizeChannelId, resolveReplyTarget } from '../../../src/channels/registry.ts';
import { resolveDiscordAccounts } from '../../../src/channels/discord/config.ts';
import { normalizeMessage } from '../../../src/channels/discord/events.ts';
import { resolveSignalAccounts } from '../../../src/channels/signal/config.ts';
import { normalizeSignal, signalReplyTarget, signalSessionKey, SignalEventSchema } from '../../../src/channels/signal/events.ts';
import { parseSse } from '../../../src/channels/signal/receiver.ts';
import { boundText } from '../../../src/channels/chunk-outbox.ts';

describe('channel registry', () => {
  it('normalises aliases to canonical ids', () => {
    expect(normalizeChannelId(' TG ')).toBe('telegram');
    expect(normalizeChannelId('grammy')).toBe('telegram');
    expect(normalizeChannelId('wa')).toBe('whatsapp');
    expect(normalizeChannelId('signal-cli')).toBe('signal');
    expect(normalizeChannelId('web_chat')).toBe('webchat');
    expect(normalizeChannelId('Discord')).toBe('discord');
    expect(channelDriver('baileys')?.id).toBe('whatsapp');
    expect(channelDriver('irc')).toBeNull();
    expect(CHANNEL_DRIVERS.map((d) => d.id)).toEqual(['telegram', 'whatsapp', 'discord', 'slack', 'signal']);
  });

  it('routes each reply target to its driver, and nothing else', () => {
    expect(resolveReplyTarget('telegram:default:-100:t7')?.target).toEqual({ channel: 'telegram', account: 'default', chatId: '-100', threadId: '7' });
    expect(resolveReplyTarget('slack:default:C1:t1700000000.000100')?.driver.id).toBe('slack');
    expect(resolveReplyTarget('whatsapp:default:15551234567')?.driver.id).toBe('whatsapp');
    expect(resolveReplyTarget('discord:default:123456:ti987654')?.target.threadId).toBe('i987654');
    expect(resolveReplyTarget('signal:default:+15550001')?.target.chatId).toBe('+15550001');
    expect(resolveReplyTarget('signal:default:gAbC+/=')?.target.chatId).toBe('gAbC+/=');
    expect(resolveReplyTarget('webchat:main')).toBeNull();
    expect(resolveReplyTarget('slack:default:C1; DROP')).toBeNull();
    expect(resolveReplyTarget('no-colon')).toBeNull();
  });

  it('fingerprints change with any account field', () => {
    expect(accountFingerprint({ id: 'a', token: 'x' })).toBe(accountFingerprint({ id: 'a', token: 'x' }));
    expect(accountFingerprint({ id: 'a', token: 'x' })).not.toBe(accountFingerprint({ id: 'a', token: 'y' }));
    expect(accountFingerprint({ id: 'a' })).toMatch(/^[0-9a-f]{16}$/);
  });

  it('names the bad key of a channel section and never echoes a secret', () => {
    expect(() => resolveDiscordAccounts({ DISCORD_APPLICATION_ID: '123456', DISCORD_PUBLIC_KEY: 'zz', DISCORD_BOT_TOKEN: 'sekret-token-value-that-is-long-enough-123' })).toThrow(/discord\.accounts\.0\.publicKey: expected the application public key/);
    try {
      resolveDiscordAccounts({ DISCORD_APPLICATION_ID: '123456', DISCORD_PUBLIC_KEY: 'zz', DISCORD_BOT_TOKEN: 'sekret-token-value-that-is-long-enough-123' });
    } catch (err) {
      expect(String(err)).not.toContain('sekret');
    }
    expect(() => resolveDiscordAccounts({ EDGECLAW_DISCORD: JSON.stringify({ accounts: [{ id: 'a', applicationId: '123456', publicKey: 'a'.repeat(64), gateway: true }] }) })).toThrow(/botToken: the Gateway connection needs botToken/);
    expect(() => resolveSignalAccounts({ EDGECLAW_SIGNAL: '{' })).toThrow('EDGECLAW_SIGNAL is not valid JSON');
    expect(resolveSignalAccounts({ SIGNAL_URL: 'http://127.0.0.1:8080/', SIGNAL_NUMBER: '+15550001' })[0]).toMatchObject({ id: 'default', url: 'http://127.0.0.1:8080', dmPolicy: 'pairing' });
  });

  it('cuts over-long replies with a notice, never inside a surrogate pair', () => {
    expect(boundText('abcdef', 3)).toBe('abc\n\n… (reply truncated: 3 more characters)');
    expect(boundText('a😀b', 2).startsWith('a\n\n')).toBe(true);
  });
});

describe('signal receive events', () => {
  it('parses SSE frames with ids, multi-line data and keep-alive comments, keeping the unfinished rest', () => {
    const { events, rest } = parseSse(':keepalive\n\nid:1\nevent:receive\ndata:{"a":\ndata:1}\n\nid: 2\nevent: receive\ndata: {"b"');
    expect(events).toEqual([{ id: '1', event: 'receive', data: '{"a":\n1}' }]);
    expect(rest).toBe('id: 2\nevent: receive\ndata: {"b"');
  });

  it('normalises a group mention and dedupes by source + timestamp', () => {
    const e = SignalEventSchema.parse({
      account: '+15550001',
      envelope: { sourceNumber: '+15550002', sourceUuid: '12345678-0000-4000-8000-000000000000', timestamp: 1700, dataMessage: { timestamp: 1700, message: ' hi ', groupInfo: { groupId: 'Zm9v+/=' }, mentions: [{ number: '+15550001' }] } },
    });
    const n = normalizeSignal(e, 'default', '+15550001');
    expect(n.ok && n.envelope).toMatchObject({ transportId: '12345678-0000-4000-8000-000000000000:1700', chat: { kind: 'group', id: 'Zm9v+/=' }, text: 'hi', mentionsSelf: true });
    if (!n.ok) throw new Error('expected a message');
    expect(signalReplyTarget(n.envelope).chatId).toBe('gZm9v+/=');
    expect(signalSessionKey(n.envelope, { agentId: 'main', dmScope: 'per-account-channel-peer' })).toBe('agent:main:signal:default:group:5a6d39762b2f3d');
    expect(normalizeSignal(SignalEventSchema.parse({ envelope: { sourceNumber: '+15550002', timestamp: 1, receiptMessage: {} } }), 'default', '+15550001')).toEqual({ ok: false, reason: 'not a text message' });
  });

  it('ignores its own Discord messages and strips its mention', () => {
    const base = { id: '10001', channel_id: '20001', author: { id: '30001' }, content: '<@99> hello', mentions: [{ id: '99' }] };
    const n = normalizeMessage(base, 'default', '99');
    expect(n.ok && n.envelope).toMatchObject({ text: 'hello', mentionsSelf: true, transportId: 'm10001', chat: { kind: 'dm', id: '20001' } });
    expect(normalizeMessage({ ...base, author: { id: '99' } }, 'default', '99')).toEqual({ ok: false, reason: 'own message' });
  });
});
