// Session keys: the full grammar, canonical form, and DM scope options (openclaw-protocol.md §7.1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSessionKey, canonicalSessionKey, formatSessionKey, parseSessionKey, StrictSessionKeySchema } from '../../../src/sessions/session-key.ts';

describe('session keys', () => {
  it('parses the main key, peer keys with and without account, and thread suffixes', () => {
    expect(parseSessionKey('agent:main:main')).toEqual({ ok: true, key: { kind: 'main', agentId: 'main', mainKey: 'main' } });
    expect(parseSessionKey('agent:Main:telegram:group:-1001234567890:topic:7')).toEqual({
      ok: true,
      key: { kind: 'peer', agentId: 'main', channel: 'telegram', account: null, peerKind: 'group', peerId: '-1001234567890', thread: { kind: 'topic', id: '7' } },
    });
    expect(parseSessionKey('agent:ops:slack:acme:channel:C42:thread:1700.1')).toMatchObject({ ok: true, key: { channel: 'slack', account: 'acme', peerKind: 'channel', thread: { kind: 'thread', id: '1700.1' } } });
    expect(parseSessionKey('agent:main:direct:42')).toMatchObject({ ok: true, key: { kind: 'peer', channel: null, peerKind: 'direct', peerId: '42' } });
    expect(parseSessionKey('cron:nightly:run:3')).toEqual({ ok: true, key: { kind: 'namespaced', namespace: 'cron', rest: 'nightly:run:3' } });
    expect(parseSessionKey('global')).toEqual({ ok: true, key: { kind: 'global' } });
  });

  it('rejects keys that do not fit the grammar, naming the expected shape', () => {
    for (const bad of ['', 'agent', 'agent:main:telegram:x:y:z:w', 'agent:main:group:5', 'other:thing', 'agent:main::main', 'agent:main:a b']) {
      expect(parseSessionKey(bad).ok).toBe(false);
    }
    expect(StrictSessionKeySchema.safeParse('agent:main:group:5').error?.issues[0]?.message).toMatch(/expected a channel before group/);
    expect(StrictSessionKeySchema.parse('AGENT:Main:Telegram:Direct:ABC')).toBe('agent:main:telegram:direct:abc');
  });

  it('formats every parsed key back to the same canonical key', () => {
    const seg = fc.stringMatching(/^[a-z0-9_-]{1,8}$/).filter((s) => !['direct', 'group', 'channel', 'room', 'topic', 'thread'].includes(s));
    fc.assert(
      fc.property(seg, fc.option(seg), fc.option(seg), fc.constantFrom('direct', 'group', 'channel', 'room'), seg, fc.option(fc.tuple(fc.constantFrom('topic', 'thread'), seg)), (agent, channel, account, kind, peer, thread) => {
        if (kind !== 'direct' && channel === null) return;
        if (account !== null && channel === null) return;
        const key = ['agent', agent, channel, account, kind, peer, ...(thread ?? [])].filter((s) => s !== null).join(':');
        const parsed = parseSessionKey(key);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(formatSessionKey(parsed.key)).toBe(key);
      }),
    );
  });

  it('builds DM keys per dmScope and group keys with their thread suffix', () => {
    const dm = { channel: 'telegram', account: 'bot1', peerKind: 'direct' as const, peerId: 'U42' };
    expect(buildSessionKey(dm)).toBe('agent:main:main');
    expect(buildSessionKey(dm, { dmScope: 'main', mainKey: 'home' })).toBe('agent:main:home');
    expect(buildSessionKey(dm, { dmScope: 'per-peer' })).toBe('agent:main:direct:u42');
    expect(buildSessionKey(dm, { dmScope: 'per-channel-peer' })).toBe('agent:main:telegram:direct:u42');
    expect(buildSessionKey(dm, { dmScope: 'per-account-channel-peer' })).toBe('agent:main:telegram:bot1:direct:u42');
    expect(buildSessionKey({ agentId: 'Ops', channel: 'telegram', peerKind: 'group', peerId: '-100', thread: { kind: 'topic', id: '9' } }, { dmScope: 'per-peer' })).toBe('agent:ops:telegram:group:-100:topic:9');
    expect(() => buildSessionKey({ channel: 'tele gram', peerKind: 'group', peerId: '1' })).toThrow();
  });

  it('canonicalises the main alias and lower-cases grammar keys', () => {
    expect(canonicalSessionKey('main')).toBe('agent:main:main');
    expect(canonicalSessionKey('main', 'ops')).toBe('agent:ops:main');
    expect(canonicalSessionKey('agent:Main:Telegram:group:X')).toBe('agent:main:telegram:group:x');
    expect(canonicalSessionKey('agent:test:fifo:abc')).toBe('agent:test:fifo:abc');
  });
});
