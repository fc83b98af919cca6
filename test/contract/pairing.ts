// The DM pairing store on a real registry, written once and run on both hosts (workerd D1 and the Node
// host's D1 over node:sqlite): codes, repeats without spam, expiry, the pending cap, approval, the owner
// bootstrap rule, dismiss and revoke. Time is a variable the test moves, not the wall clock.
import { describe, expect, it } from 'vitest';
import type { DbBinding } from '../../src/env.ts';
import { normalizePairingCode, PAIRING_ALPHABET, PairingStore, type PairingLimits } from '../../src/channels/pairing.ts';
import { storedProviderKeys, storeProviderKey, withStoredKeys } from '../../src/providers/stored-keys.ts';

const LIMITS: PairingLimits = { codeTtlMs: 3_600_000, pendingCap: 3, replyIntervalMs: 600_000, approvedCap: 5 };

/** Registers the pairing store suite; `db()` is a migrated registry, `channel` keeps runs apart. */
export function describePairingStore(host: string, db: () => DbBinding) {
  describe(`pairing store (${host})`, () => {
    let clock = 1_800_000_000_000;
    let seq = 0;
    const fresh = (limits: Partial<PairingLimits> = {}) => {
      // Each test gets its own channel id, so rows of other tests (same database) never count.
      const channel = `tc${++seq}${host.slice(0, 2)}`;
      return { channel, store: new PairingStore(db(), { ...LIMITS, ...limits }, { now: () => clock }) };
    };

    it('gives an unknown sender an 8-character code from the unambiguous alphabet, and repeats it at most once per interval', async () => {
      const { channel, store } = fresh();
      const first = await store.request(channel, 'a', { id: '100', username: 'alice' });
      expect(first.status).toBe('created');
      const code = first.status === 'created' ? first.request.code : '';
      expect(code).toMatch(new RegExp(`^[${PAIRING_ALPHABET}]{8}$`));
      expect(code).not.toMatch(/[01IO]/);
      clock += 1_000;
      expect(await store.request(channel, 'a', { id: '100' })).toMatchObject({ status: 'quiet', request: { code } });
      clock += LIMITS.replyIntervalMs;
      expect(await store.request(channel, 'a', { id: '100' })).toMatchObject({ status: 'repeat', request: { code } });
      expect(await store.request(channel, 'a', { id: '100' })).toMatchObject({ status: 'quiet' });
    });

    it('expires a code after its TTL: approving it fails with "expired", and the sender then gets a new code', async () => {
      const { channel, store } = fresh();
      const first = await store.request(channel, 'a', { id: '200' });
      const code = first.status === 'created' ? first.request.code : '';
      clock += LIMITS.codeTtlMs;
      const approve = await store.approve({ channel, account: 'a', code, by: 't', ownerKnown: async () => true, mayBootstrapOwner: false });
      expect(approve).toMatchObject({ ok: false, reason: 'expired' });
      const again = await store.request(channel, 'a', { id: '200' });
      expect(again.status).toBe('created');
      expect(again.status === 'created' && again.request.code).not.toBe(code);
      expect((await store.list(channel, 'a')).requests.map((r) => r.senderId)).toEqual(['200']);
    });

    it('holds at most pendingCap requests per account; further new senders are refused and nothing is stored', async () => {
      const { channel, store } = fresh();
      for (const id of ['1', '2', '3']) expect((await store.request(channel, 'a', { id })).status).toBe('created');
      expect(await store.request(channel, 'a', { id: '4' })).toEqual({ status: 'full', notify: true });
      expect(await store.request(channel, 'a', { id: '4' })).toEqual({ status: 'full', notify: false });
      expect(await store.request(channel, 'a', { id: '5' })).toEqual({ status: 'full', notify: true });
      // Another account of the same channel has its own cap; an existing sender still gets their code.
      expect((await store.request(channel, 'b', { id: '4' })).status).toBe('created');
      expect((await store.request(channel, 'a', { id: '1' })).status).toBe('quiet');
      expect((await store.list(channel, 'a')).requests).toHaveLength(3);
      // Once one expires there is room again.
      clock += LIMITS.codeTtlMs;
      expect((await store.request(channel, 'a', { id: '4' })).status).toBe('created');
    });

    it('approves a code once (case and dashes ignored), records the owner, and answers a repeat with the same approval', async () => {
      const { channel, store } = fresh();
      const r = await store.request(channel, 'a', { id: '300', username: 'bob' });
      const code = r.status === 'created' ? r.request.code : '';
      const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`;
      expect(normalizePairingCode(typed)).toBe(code);
      const denied = await store.approve({ channel, account: null, code: typed, by: 'op', ownerKnown: async () => false, mayBootstrapOwner: false });
      expect(denied).toMatchObject({ ok: false, reason: 'owner-bootstrap' });
      const ok = await store.approve({ channel, account: null, code: typed, by: 'op', ownerKnown: async () => false, mayBootstrapOwner: true });
      expect(ok).toMatchObject({ ok: true, changed: true, approved: { senderId: '300', username: 'bob', isOwner: true, approvedBy: 'op' } });
      expect(await store.isApproved(channel, 'a', '300')).toBe(true);
      const again = await store.approve({ channel, account: null, code, by: 'op2', ownerKnown: async () => true, mayBootstrapOwner: false });
      expect(again).toMatchObject({ ok: true, changed: false, approved: { approvedBy: 'op' } });
      expect((await store.list(channel, 'a')).requests).toEqual([]);
    });

    it('tells an invalid code from an unknown one, and refuses approvals past approvedCap', async () => {
      const { channel, store } = fresh({ approvedCap: 1, pendingCap: 5 });
      const base = { channel, account: null, by: 'op', ownerKnown: async () => true, mayBootstrapOwner: false };
      expect(await store.approve({ ...base, code: 'O0I1' })).toMatchObject({ ok: false, reason: 'invalid-code' });
      expect(await store.approve({ ...base, code: 'ZZZZZZZZ' })).toMatchObject({ ok: false, reason: 'not-found' });
      const codes: string[] = [];
      for (const id of ['1', '2']) {
        const r = await store.request(channel, 'a', { id });
        if (r.status === 'created') codes.push(r.request.code);
      }
      expect(await store.approve({ ...base, code: codes[0]! })).toMatchObject({ ok: true, changed: true });
      expect(await store.approve({ ...base, code: codes[1]! })).toMatchObject({ ok: false, reason: 'approved-cap' });
      expect(await store.isApproved(channel, 'a', '2')).toBe(false);
    });

    it('dismisses a pending code and revokes an approved sender', async () => {
      const { channel, store } = fresh();
      const a = await store.request(channel, 'a', { id: '1' });
      const b = await store.request(channel, 'a', { id: '2' });
      const codeA = a.status === 'created' ? a.request.code : '';
      const codeB = b.status === 'created' ? b.request.code : '';
      expect(await store.dismiss(channel, 'a', codeA)).toMatchObject({ ok: true, request: { senderId: '1' } });
      expect(await store.dismiss(channel, 'a', codeA)).toMatchObject({ ok: false, reason: 'not-found' });
      await store.approve({ channel, account: 'a', code: codeB, by: 'op', ownerKnown: async () => true, mayBootstrapOwner: false });
      expect(await store.revoke(channel, 'a', '2')).toMatchObject({ senderId: '2' });
      expect(await store.isApproved(channel, 'a', '2')).toBe(false);
      expect(await store.revoke(channel, 'a', '2')).toBeNull();
    });

    it('stores provider keys in the secret store and applies them over the config', async () => {
      await storeProviderKey(db(), 'OpenAI', 'sk-test-stored-key-1', 'test');
      await storeProviderKey(db(), 'openai', 'sk-test-stored-key-2', 'test');
      await expect(storeProviderKey(db(), 'openai', 'env:OPENAI_API_KEY', 'test')).rejects.toThrow(/env reference/);
      const keys = await storedProviderKeys(db());
      expect(keys.openai).toBe('sk-test-stored-key-2');
      const cfg = withStoredKeys({ fallbacks: [], requestTimeoutMs: 1000, maxAttempts: 1, discovery: { enabled: false, ttlMs: 1000 }, providers: {} }, keys);
      expect(cfg.providers.openai?.apiKey).toBe('sk-test-stored-key-2');
    });
  });
}
