// The active policy: a verified bundle's thresholds apply; a rejected bundle keeps the previous good policy and reports why.
import { describe, expect, it } from 'vitest';
import { activePolicyFor, PolicyHolder, sha256HexOf, type PersistedPolicy, type PolicyStateStore } from '../../../src/defender/active-policy.ts';
import { generateSigningKey, makeRoot, POLICY_TYPE, signEnvelope, type SigningKey } from '../../../src/defender/bundle.ts';
import { DEFAULT_POLICY, evaluate } from '../../../src/defender/index.ts';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const LATER = '2099-01-01T00:00:00Z'; // activePolicyFor uses the real clock

async function setup() {
  const key = await generateSigningKey();
  const trust = JSON.stringify({ root: makeRoot(1, LATER, 1, [key]), rotations: [] });
  const bundle = async (version: number, policy: object, k: SigningKey = key) =>
    JSON.stringify(await signEnvelope(POLICY_TYPE, { bundleVersion: version, issuedAt: '2030-01-01T00:00:00Z', expiresAt: LATER, policy }, [k]));
  return { key, trust, bundle };
}

function tamper(bundleText: string): string {
  const env = JSON.parse(bundleText) as { payload: string };
  const body = JSON.parse(atob(env.payload)) as { policy: Record<string, number> };
  body.policy.blockThreshold = 100;
  env.payload = btoa(JSON.stringify(body));
  return JSON.stringify(env);
}

describe('active policy', () => {
  it('runs on DEFAULT_POLICY when no bundle is configured', async () => {
    const a = await new PolicyHolder().apply(undefined, undefined, NOW);
    expect(a).toEqual({ policy: DEFAULT_POLICY, bundleVersion: null });
  });

  it('applies an accepted bundle so its thresholds decide', async () => {
    const { trust, bundle } = await setup();
    const a = await new PolicyHolder().apply(await bundle(1, { reviewThreshold: 5, blockThreshold: 10 }), trust, NOW);
    expect(a).toMatchObject({ bundleVersion: 1, rootVersion: 1 });
    expect(a.error).toBeUndefined();
    const input = { kind: 'command' as const, text: 'sudo ls' };
    expect(evaluate(input, DEFAULT_POLICY).decision).toBe('allow');
    expect(evaluate(input, a.policy)).toMatchObject({ decision: 'block', score: evaluate(input, DEFAULT_POLICY).score });
  });

  it('keeps the previous policy and reports TAMPERED when a tampered bundle arrives', async () => {
    const { trust, bundle } = await setup();
    const h = new PolicyHolder();
    await h.apply(await bundle(1, { reviewThreshold: 20, blockThreshold: 50 }), trust, NOW);
    const a = await h.apply(tamper(await bundle(2, { reviewThreshold: 30, blockThreshold: 60 })), trust, NOW);
    expect(a.error?.code).toBe('TAMPERED');
    expect(a.bundleVersion).toBe(1);
    expect(a.policy.blockThreshold).toBe(50);
  });

  it('refuses a replay of an older bundle after a newer one (ROLLBACK) and a foreign key (WRONG_KEY)', async () => {
    const { trust, bundle } = await setup();
    const h = new PolicyHolder();
    const v1 = await bundle(1, { blockThreshold: 70 });
    await h.apply(await bundle(2, { blockThreshold: 75 }), trust, NOW);
    expect((await h.apply(v1, trust, NOW)).error?.code).toBe('ROLLBACK');
    const other = await generateSigningKey();
    const a = await h.apply(await bundle(3, { blockThreshold: 90 }, other), trust, NOW);
    expect(a.error?.code).toBe('WRONG_KEY');
    expect(a.policy.blockThreshold).toBe(75);
  });

  it('falls back to DEFAULT_POLICY with the error when the first bundle is rejected', async () => {
    const { trust, bundle } = await setup();
    const a = await new PolicyHolder().apply(tamper(await bundle(1, { blockThreshold: 90 })), trust, NOW);
    expect(a.policy).toBe(DEFAULT_POLICY);
    expect(a.error?.code).toBe('TAMPERED');
    expect((await new PolicyHolder().apply(await bundle(1, {}), undefined, NOW)).error?.code).toBe('CONFIG');
  });

  it('caches per env and logs the specific error once', async () => {
    const { trust, bundle } = await setup();
    const logs: Record<string, unknown>[] = [];
    const h = new PolicyHolder();
    const good = { EDGECLAW_POLICY_BUNDLE: await bundle(1, { blockThreshold: 77 }), EDGECLAW_POLICY_TRUST: trust };
    expect((await activePolicyFor(good, (_m, f) => logs.push(f), h)).policy.blockThreshold).toBe(77);
    const bad = { EDGECLAW_POLICY_BUNDLE: tamper(await bundle(2, { blockThreshold: 88 })), EDGECLAW_POLICY_TRUST: trust };
    const first = activePolicyFor(bad, (_m, f) => logs.push(f), h);
    expect(activePolicyFor(bad, (_m, f) => logs.push(f), h)).toBe(first);
    expect((await first).policy.blockThreshold).toBe(77);
    expect(logs).toEqual([expect.objectContaining({ code: 'TAMPERED', activeVersion: 1 })]);
  });
});

describe('active policy across restarts', () => {
  function memoryStore(): PolicyStateStore & { saved: PersistedPolicy | null } {
    const store = {
      saved: null as PersistedPolicy | null,
      load: async () => store.saved,
      save: async (s: PersistedPolicy) => void (store.saved = s),
    };
    return store;
  }

  it('refuses an older bundle after a restart and keeps the remembered one in force', async () => {
    const { trust, bundle } = await setup();
    const store = memoryStore();
    const v1 = await bundle(1, { blockThreshold: 70 });
    const v2 = await bundle(2, { blockThreshold: 75 });
    expect(await new PolicyHolder(store).apply(v2, trust, NOW)).toMatchObject({ bundleVersion: 2 });
    expect(store.saved).toMatchObject({ bundleVersion: 2, rootVersion: 1, bundle: v2 });
    // "Restart": a new holder over the same store, configured with the older bundle.
    const after = await new PolicyHolder(store).apply(v1, trust, NOW);
    expect(after.error?.code).toBe('ROLLBACK');
    expect(after).toMatchObject({ bundleVersion: 2, bundleSha256: await sha256HexOf(v2) });
    expect(after.policy.blockThreshold).toBe(75);
    // A newer bundle is still accepted and becomes the remembered one.
    expect(await new PolicyHolder(store).apply(await bundle(3, { blockThreshold: 80 }), trust, NOW)).toMatchObject({ bundleVersion: 3 });
    expect(store.saved?.bundleVersion).toBe(3);
  });

  it('keeps the version floor even when the remembered bundle no longer verifies', async () => {
    const { trust, bundle } = await setup();
    const store = memoryStore();
    store.saved = { bundle: tamper(await bundle(5, {})), bundleVersion: 5, rootVersion: 1 };
    const a = await new PolicyHolder(store).apply(await bundle(4, { blockThreshold: 90 }), trust, NOW);
    expect(a.error?.code).toBe('ROLLBACK');
    expect(a.policy).toBe(DEFAULT_POLICY);
  });
});

describe('engineDefender under the active bundle', () => {
  it('gates tool calls with the bundle thresholds and reports every verdict', async () => {
    const { engineDefender } = await import('../../../src/agent/session-runner.ts');
    const { trust, bundle } = await setup();
    const env = { EDGECLAW_POLICY_BUNDLE: await bundle(1, { reviewThreshold: 5, blockThreshold: 10 }), EDGECLAW_POLICY_TRUST: trust } as unknown as Parameters<typeof engineDefender>[0];
    const seen: string[] = [];
    const gate = engineDefender(env, (i, v) => seen.push(`${i.kind}:${v.decision}`));
    const call = { kind: 'tool_call' as const, tool: 'exec', args: { command: 'sudo ls' }, callId: 'c1' };
    expect(evaluate({ kind: 'tool_call', tool: 'exec', args: call.args }, DEFAULT_POLICY).decision).toBe('allow');
    expect((await gate(call)).decision).toBe('block');
    expect(seen).toEqual(['tool_call:block']);
  });
});
