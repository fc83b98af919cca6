// defender.profile: the thresholds in force while no signed policy bundle is active.
import { describe, expect, it } from 'vitest';
import { activePolicyFor, PolicyHolder } from '../../../src/defender/active-policy.ts';
import { DEFAULT_POLICY, profilePolicy } from '../../../src/defender/policy.ts';
import { ConfigError, resolveConfig } from '../../../src/config/schema.ts';

describe('defender profiles', () => {
  it('maps each profile to its thresholds; balanced is the default policy', () => {
    expect(profilePolicy('strict')).toMatchObject({ reviewThreshold: 20, blockThreshold: 50 });
    expect(profilePolicy('permissive')).toMatchObject({ reviewThreshold: 50, blockThreshold: 80 });
    expect(profilePolicy('balanced')).toBe(DEFAULT_POLICY);
    expect(profilePolicy(undefined)).toBe(DEFAULT_POLICY);
  });

  it('is the active policy when no bundle is configured', async () => {
    const strict = await activePolicyFor({ EDGECLAW_DEFENDER_PROFILE: 'strict' }, () => {}, new PolicyHolder());
    expect(strict.bundleVersion).toBeNull();
    expect(strict.policy.blockThreshold).toBe(50);
    expect((await activePolicyFor({}, () => {}, new PolicyHolder())).policy).toBe(DEFAULT_POLICY);
  });

  it('is validated by the config schema, naming the key and the env var', () => {
    expect(resolveConfig({}, { EDGECLAW_DEFENDER_PROFILE: 'strict' }, 'defaults').defender.profile).toBe('strict');
    let err: unknown;
    try {
      resolveConfig({}, { EDGECLAW_DEFENDER_PROFILE: 'lax' }, 'defaults');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0]).toMatchObject({ key: 'defender.profile', source: 'env EDGECLAW_DEFENDER_PROFILE', value: 'lax' });
  });
});
