// Signed policy bundles: every rejection class has its own error, the previous good policy stays active,
// and a rotation chain of three root keys works only when each step is signed by the old and new roots.
import { describe, expect, it } from 'vitest';
import {
  applyPolicyBundle, applyRootRotation, BundleError, canonicalJson, generateSigningKey, initialState, makeRoot, POLICY_TYPE, ROOT_TYPE,
  signEnvelope, type BundleState, type Envelope, type SigningKey,
} from '../../../src/defender/index.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const FUTURE = '2027-01-01T00:00:00Z';
const policy = (v: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ bundleVersion: v, issuedAt: '2026-05-01T00:00:00Z', expiresAt: FUTURE, policy: { blockThreshold: 60 + v }, ...extra });

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof BundleError && e.code === code);
}

async function setup(threshold = 1): Promise<{ keys: SigningKey[]; state: BundleState }> {
  const keys = [await generateSigningKey(), await generateSigningKey(), await generateSigningKey()];
  return { keys, state: initialState(makeRoot(1, FUTURE, threshold, keys)) };
}

describe('policy bundles', () => {
  it('produces canonical JSON with sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[2,"x"]},"b":1}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow(BundleError);
  });

  it('accepts a valid bundle and activates its policy', async () => {
    const { keys, state } = await setup();
    const next = await applyPolicyBundle(state, await signEnvelope(POLICY_TYPE, policy(1), [keys[0]!]), NOW);
    expect(next.lastVersion).toBe(1);
    expect(next.active!.policy.blockThreshold).toBe(61);
  });

  it('rejects each failure class with its own error and leaves the active policy alone', async () => {
    const { keys, state: s0 } = await setup(2);
    const good = await applyPolicyBundle(s0, await signEnvelope(POLICY_TYPE, policy(2), keys.slice(0, 2)), NOW);
    const stranger = await generateSigningKey();
    await rejects(applyPolicyBundle(good, await signEnvelope(POLICY_TYPE, policy(1), keys.slice(0, 2)), NOW), 'ROLLBACK');
    await rejects(applyPolicyBundle(good, await signEnvelope(POLICY_TYPE, policy(2), keys.slice(0, 2)), NOW), 'ROLLBACK');
    await rejects(applyPolicyBundle(good, await signEnvelope(POLICY_TYPE, policy(3, { expiresAt: '2026-01-01T00:00:00Z' }), keys.slice(0, 2)), NOW), 'EXPIRED');
    await rejects(applyPolicyBundle(good, await signEnvelope(POLICY_TYPE, policy(3), [stranger]), NOW), 'WRONG_KEY');
    await rejects(applyPolicyBundle(good, await signEnvelope(POLICY_TYPE, policy(3), [keys[0]!]), NOW), 'BELOW_THRESHOLD');
    const dup = await signEnvelope(POLICY_TYPE, policy(3), [keys[0]!]);
    await rejects(applyPolicyBundle(good, { ...dup, signatures: [dup.signatures[0]!, dup.signatures[0]!] }, NOW), 'BELOW_THRESHOLD');
    const env = await signEnvelope(POLICY_TYPE, policy(3), keys.slice(0, 2));
    const tampered: Envelope = { ...env, payload: btoa(canonicalJson(policy(3, { policy: { blockThreshold: 100 } }))) };
    await rejects(applyPolicyBundle(good, tampered, NOW), 'TAMPERED');
    await rejects(applyPolicyBundle(good, { ...env, payloadType: ROOT_TYPE }, NOW), 'UNSUPPORTED_TYPE');
    await rejects(applyPolicyBundle(good, '{not json', NOW), 'MALFORMED');
    await rejects(applyPolicyBundle(good, await signEnvelope(POLICY_TYPE, policy(3, { policy: { reviewThreshold: 90 } }), keys.slice(0, 2)), NOW), 'INVALID_POLICY');
    // The caller keeps `good`: still version 2 with its policy.
    expect(good.lastVersion).toBe(2);
    expect(good.active!.policy.blockThreshold).toBe(62);
    expect((await applyPolicyBundle(good, env, NOW)).lastVersion).toBe(3);
  });

  it('survives a JSON round trip of the state (what a restart persists)', async () => {
    const { keys, state } = await setup();
    const s1 = await applyPolicyBundle(state, await signEnvelope(POLICY_TYPE, policy(5), [keys[0]!]), NOW);
    const restored = JSON.parse(JSON.stringify(s1)) as BundleState;
    await rejects(applyPolicyBundle(restored, await signEnvelope(POLICY_TYPE, policy(4), [keys[0]!]), NOW), 'ROLLBACK');
    expect(restored.active!.policy.blockThreshold).toBe(65);
  });

  it('rotates through a chain of three root keys, each step signed by the old and the new root', async () => {
    const [k1, k2, k3] = [await generateSigningKey(), await generateSigningKey(), await generateSigningKey()];
    let state = initialState(makeRoot(1, FUTURE, 1, [k1]));
    const root2 = makeRoot(2, FUTURE, 1, [k2]);
    // Signed only by the new key: the old root does not vouch for it.
    await rejects(applyRootRotation(state, await signEnvelope(ROOT_TYPE, root2, [k2]), NOW), 'WRONG_KEY');
    // Signed only by the old key: the new root's threshold is not met.
    await rejects(applyRootRotation(state, await signEnvelope(ROOT_TYPE, root2, [k1]), NOW), 'WRONG_KEY');
    // Skipping a version is refused.
    await rejects(applyRootRotation(state, await signEnvelope(ROOT_TYPE, makeRoot(3, FUTURE, 1, [k3]), [k1, k3]), NOW), 'ROOT_VERSION');
    state = await applyRootRotation(state, await signEnvelope(ROOT_TYPE, root2, [k1, k2]), NOW);
    state = await applyRootRotation(state, await signEnvelope(ROOT_TYPE, makeRoot(3, FUTURE, 1, [k3]), [k2, k3]), NOW);
    expect(state.root.version).toBe(3);
    // Revoked keys (k1, k2) no longer sign bundles; k3 does.
    await rejects(applyPolicyBundle(state, await signEnvelope(POLICY_TYPE, policy(1), [k1]), NOW), 'WRONG_KEY');
    expect((await applyPolicyBundle(state, await signEnvelope(POLICY_TYPE, policy(1), [k3]), NOW)).lastVersion).toBe(1);
    // A root rollback is refused too.
    await rejects(applyRootRotation(state, await signEnvelope(ROOT_TYPE, root2, [k2, k3]), NOW), 'ROLLBACK');
  });

  it('refuses an expired root', async () => {
    const k = await generateSigningKey();
    const state = initialState(makeRoot(1, '2026-01-01T00:00:00Z', 1, [k]));
    await rejects(applyPolicyBundle(state, await signEnvelope(POLICY_TYPE, policy(1), [k]), NOW), 'EXPIRED');
  });
});
