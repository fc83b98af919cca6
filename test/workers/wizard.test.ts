// wizard.* on workerd: the same steps over POST /rpc; with no writable config file the last step stores the
// provider key in D1's secrets table and returns the other values to set with wrangler, and `status`
// carries no memory block.
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { rpcFrame } from './contract-harness.ts';

const rpc = (method: string, params: unknown) => rpcFrame(method, params);

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describe('wizard on workers', () => {
  it('walks the steps and answers with wrangler values instead of writing a file', async () => {
    const start = await rpc('wizard.start', {});
    expect(start.ok, JSON.stringify(start.error)).toBe(true);
    const sessionId = start.payload!.sessionId as string;
    let last = start.payload!;
    for (const [stepId, value] of [['provider', 'openai'], ['apiKey', 'sk-test-0123456789'], ['model', ''], ['telegramToken', ''], ['gatewayToken', 'generate'], ['defenderProfile', 'strict'], ['confirm', 'yes']] as const) {
      expect(last.step.id).toBe(stepId);
      const res = await rpc('wizard.next', { sessionId, answer: { stepId, value } });
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      last = res.payload!;
    }
    expect(last).toMatchObject({ status: 'done', done: true, result: { applied: false, vars: { EDGECLAW_DEFENDER_PROFILE: 'strict' }, secrets: ['EDGECLAW_GATEWAY_TOKEN'], secretsStored: ['provider-api-key:openai'] } });
    // The API key went to D1's secrets table (read by every run), not into the vars to paste.
    expect(JSON.parse(last.result.vars.EDGECLAW_MODELS_JSON)).toEqual({ default: 'openai/gpt-5.3', providers: { openai: {} } });
    expect(JSON.stringify(last)).not.toContain('sk-test-0123456789');
    expect(await env.DB.prepare(`SELECT value, updated_by FROM secrets WHERE name = 'provider-api-key:openai'`).first()).toEqual({ value: 'sk-test-0123456789', updated_by: 'wizard' });
    expect(last.result.gatewayToken).toMatch(/^ec_/);
    // status never repeats the one-time token.
    expect(JSON.stringify((await rpc('wizard.status', { sessionId })).payload)).not.toContain(last.result.gatewayToken);
  });

  it('omits the memory block from status (no host metrics on Workers)', async () => {
    const status = await rpc('status', {});
    expect(status.ok).toBe(true);
    expect(status.payload).not.toHaveProperty('memory');
  });
});
