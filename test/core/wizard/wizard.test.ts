// The setup wizard's pure parts: step order, answer validation, the config patch, merging, and the bounded
// session table with its idle TTL.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/schema.ts';
import { WizardSessions } from '../../../src/wizard/sessions.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';
import { answerStep, applicableSteps, buildSetup, mergeSetup, nextStepId, WizardAnswerError, type SetupAnswers } from '../../../src/wizard/steps.ts';

const answerAll = (pairs: [Parameters<typeof answerStep>[1], unknown][]) => pairs.reduce<SetupAnswers>((a, [id, v]) => answerStep(a, id, v), {});

describe('wizard steps', () => {
  it('skips steps that do not apply: base URL only for custom, API key not for keyless presets, Telegram details only with a token', () => {
    expect(applicableSteps({ provider: 'opencode' })).toEqual(['provider', 'model', 'telegramToken', 'gatewayToken', 'defenderProfile', 'confirm']);
    expect(applicableSteps({ provider: 'custom', telegramToken: 'x', telegramMode: 'webhook' })).toEqual(['provider', 'baseUrl', 'apiKey', 'model', 'telegramToken', 'telegramMode', 'telegramWebhookUrl', 'gatewayToken', 'defenderProfile', 'confirm']);
    expect(nextStepId({})).toBe('provider');
    expect(nextStepId(answerAll([['provider', 'openai'], ['apiKey', '']]))).toBe('model');
  });

  it('fills defaults for empty answers and names the step of a bad one', () => {
    const a = answerAll([['provider', ''], ['model', ''], ['telegramToken', ''], ['gatewayToken', ''], ['defenderProfile', ''], ['confirm', 'y']]);
    expect(a).toMatchObject({ provider: 'opencode', model: 'opencode/glm-5-free', telegramToken: '', gatewayToken: 'generate', defenderProfile: 'balanced', confirm: true });
    expect(nextStepId(a)).toBeNull();
    expect(() => answerStep({}, 'provider', 'nope')).toThrow(WizardAnswerError);
    expect(() => answerStep({ provider: 'custom' }, 'model', '')).toThrow(/a model is required/);
    expect(() => answerStep({}, 'gatewayToken', 'short')).toThrow(/at least 16 characters/);
    expect(() => answerStep({}, 'confirm', 'maybe')).toThrow(/yes or no/);
  });

  it('keeps a provider prefix and adds a missing one (model names may contain slashes)', () => {
    expect(answerStep({ provider: 'openrouter' }, 'model', 'qwen/qwen3-coder:free').model).toBe('openrouter/qwen/qwen3-coder:free');
    expect(answerStep({ provider: 'openrouter' }, 'model', 'openrouter/auto').model).toBe('openrouter/auto');
  });

  it('builds a patch the config schema accepts, storing only the digest of a generated token', async () => {
    const a = answerAll([['provider', 'custom'], ['baseUrl', 'http://127.0.0.1:9/v1/'], ['apiKey', 'sk-0123456789'], ['model', 'echo'], ['telegramToken', '123456789:AAbbccddeeffgghhiijjkkll'], ['telegramMode', 'webhook'], ['telegramWebhookUrl', 'https://bot.example.com/'], ['gatewayToken', 'generate'], ['defenderProfile', 'strict'], ['confirm', true]]);
    const { patch, gatewayToken } = await buildSetup(a);
    expect(gatewayToken).toMatch(/^ec_/);
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(gatewayToken!)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(patch.gateway).toEqual({ token: `sha256:${digest}` });
    const config = resolveConfig(patch, {}, 'wizard');
    expect(config.models.default).toBe('custom/echo');
    expect(config.models.providers.custom).toMatchObject({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-0123456789' });
    expect(config.channels.telegram.accounts[0]).toMatchObject({ transport: 'webhook', webhookUrl: 'https://bot.example.com' });
    expect(config.defender.profile).toBe('strict');
  });

  it('merges objects key by key, replaces the Telegram account with the same id, and keeps the rest', () => {
    const existing = { port: 1, models: { fallbacks: ['a/b'], providers: { openai: { apiKey: 'k' } } }, channels: { telegram: { accounts: [{ id: 'default', token: 'old' }, { id: 'other', token: 'o' }] } } };
    const merged = mergeSetup(existing, { models: { default: 'x/y', providers: { openai: { baseUrl: 'u' } } }, channels: { telegram: { accounts: [{ id: 'default', token: 'new' }] } } });
    expect(merged).toEqual({ port: 1, models: { default: 'x/y', fallbacks: ['a/b'], providers: { openai: { apiKey: 'k', baseUrl: 'u' } } }, channels: { telegram: { accounts: [{ id: 'default', token: 'new' }, { id: 'other', token: 'o' }] } } });
  });
});

describe('wizard sessions (durable table)', () => {
  const table = (limits: { maxSessions: number; ttlMs: number }, db = openDatabase(':memory:')) => {
    const t = new WizardSessions(new NodeSqlStorage(db), limits);
    t.migrate();
    return { t, db };
  };

  it('refuses a new session when the table is full of running ones, and drops the oldest finished one to make room', () => {
    const { t } = table({ maxSessions: 2, ttlMs: 1000 });
    const a = t.create(0)!;
    const b = t.create(1)!;
    expect(t.create(2)).toBeNull();
    t.save({ ...a, status: 'done' });
    const c = t.create(3)!;
    expect(c).not.toBeNull();
    expect(t.get(a.id, 3)).toBeNull();
    expect(t.get(b.id, 3)).toMatchObject({ id: b.id, status: 'running' });
    expect(t.size(3)).toBe(2);
  });

  it('forgets a session idle for the TTL; touching it keeps it', () => {
    const { t } = table({ maxSessions: 4, ttlMs: 1000 });
    const s = t.create(0)!;
    expect(t.get(s.id, 900)).toMatchObject({ id: s.id });
    expect(t.get(s.id, 1800)).toMatchObject({ id: s.id });
    expect(t.get(s.id, 2800)).toBeNull();
    expect(t.size(2800)).toBe(0);
  });

  it('keeps answers and status in SQLite: a second table over the same database sees them', () => {
    const { t, db } = table({ maxSessions: 4, ttlMs: 1000 });
    const s = t.create(0)!;
    t.save({ ...s, answers: { provider: 'openai' }, touchedAt: 10 });
    const other = new WizardSessions(new NodeSqlStorage(db), { maxSessions: 4, ttlMs: 1000 });
    expect(other.get(s.id, 20)).toMatchObject({ id: s.id, status: 'running', answers: { provider: 'openai' } });
  });
});
