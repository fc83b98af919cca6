// Telegram commands without a server: parsing of /set api key, pairing codes, and every command's answer
// to good and bad input, over in-memory services that record what the command did.
import { describe, expect, it } from 'vitest';
import type { InboundEnvelope, SessionControl } from '../../../src/channels/envelope.ts';
import { generatePairingCode, normalizePairingCode, PAIRING_ALPHABET, formatDuration } from '../../../src/channels/pairing.ts';
import { parseCommand, runCommand } from '../../../src/channels/telegram/commands.ts';
import { parseSetApiKey, type CommandServices } from '../../../src/channels/telegram/model-commands.ts';
import { normalizeProviderId } from '../../../src/providers/aliases.ts';
import { apiKeyProblem } from '../../../src/providers/stored-keys.ts';

const KEY = 'sk-unit-test-key-123456';

function envelope(over: Partial<InboundEnvelope> = {}): InboundEnvelope {
  return { channel: 'telegram', account: 'default', transportId: '1', messageId: '77', sender: { id: '42', username: 'owner', isBot: false }, chat: { kind: 'dm', id: '42' }, text: '', mentionsSelf: false, sentAt: 0, ...over };
}

function services(owner = true, failStore = false) {
  const log: string[] = [];
  const s: CommandServices & { log: string[] } = {
    log,
    catalog: async () => ({
      models: [
        { provider: 'openai', id: 'gpt-5.3', name: 'gpt-5.3' },
        { provider: 'openai', id: 'gpt-5-mini', name: 'GPT Mini' },
        { provider: 'groq', id: 'llama-3.3-70b', name: 'llama-3.3-70b' },
      ],
      providers: ['groq', 'localai', 'openai'],
    }),
    normalizeProvider: normalizeProviderId,
    setModel: async (k, m) => void log.push(`model ${k} ${m}`),
    isOwner: async () => owner,
    storeApiKey: async (p, k) => {
      if (failStore) throw new Error(`db down while writing ${k}`);
      log.push(`key ${p} ${k.length}`);
    },
    deleteMessage: async (c, m) => (log.push(`delete ${c}:${m}`), true),
  };
  return s;
}

const control: SessionControl = { status: async () => ({ state: 'idle', queued: 0 }), reset: async () => {}, abort: async () => ({ cancelled: 0, activeAborted: false }), setQueueMode: async () => {} };

async function run(text: string, s: CommandServices | null = services(), env = envelope()) {
  const cmd = parseCommand(text, 'edge_bot')!;
  const out = await runCommand(cmd, { envelope: { ...env, text }, sessionKey: 'sk', control, ...(s ? { services: s } : {}) });
  return out.kind === 'reply' ? out.text : '(forward)';
}

describe('pairing codes', () => {
  it('generates 8 characters from the unambiguous alphabet and normalises typed codes', () => {
    for (let i = 0; i < 200; i++) expect(generatePairingCode()).toMatch(new RegExp(`^[${PAIRING_ALPHABET}]{8}$`));
    expect(generatePairingCode(() => new Uint8Array([0, 31, 32, 255, 1, 2, 3, 4]))).toBe('A9A9BCDE');
    expect(normalizePairingCode(' ab cd-efgh ')).toBe('ABCDEFGH');
    expect(normalizePairingCode('ABCDEFG0')).toBeNull();
    expect(normalizePairingCode('ABCDEFG')).toBeNull();
    expect(formatDuration(3_600_000)).toBe('1 hour');
    expect(formatDuration(600_000)).toBe('10 minutes');
  });
});

describe('/set api key', () => {
  it('parses the provider and key, and recognises incomplete input', () => {
    expect(parseSetApiKey(`api key openai ${KEY}`)).toEqual({ provider: 'openai', key: KEY });
    expect(parseSetApiKey('API KEY groq')).toEqual({ provider: null, key: null });
    expect(parseSetApiKey('model x')).toBeNull();
    expect(apiKeyProblem('two words here')).toMatch(/spaces/);
    expect(apiKeyProblem('line\nbreak-123')).toMatch(/single line/);
    expect(apiKeyProblem('env:OPENAI_API_KEY')).toMatch(/env reference/);
    expect(apiKeyProblem('short')).toMatch(/8 to 512/);
  });

  it('stores the key, deletes the message and never repeats the key', async () => {
    const s = services();
    const text = await run(`/set api key OpenAI ${KEY}`, s);
    expect(text).toMatch(/^API key for openai saved\. Your message was deleted\./);
    expect(text).not.toContain(KEY);
    expect(s.log).toEqual([`key openai ${KEY.length}`, 'delete 42:77']);
  });

  it('refuses non-owners, groups, unknown providers and bad keys, deleting any message that carries a key', async () => {
    const notOwner = services(false);
    expect(await run(`/set api key openai ${KEY}`, notOwner)).toMatch(/^Only the owner .* Your message was deleted\.$/);
    expect(notOwner.log).toEqual(['delete 42:77']);
    const group = services();
    expect(await run(`/set@edge_bot api key openai ${KEY}`, group, envelope({ chat: { kind: 'group', id: '-100' } }))).toMatch(/only in a direct message/);
    expect(group.log).toEqual(['delete -100:77']);
    const unknown = services();
    const u = await run(`/set api key nosuch ${KEY}`, unknown);
    expect(u).toMatch(/^Unknown provider "nosuch"[\s\S]*The key was not stored\. Your message was deleted\./);
    expect(unknown.log).toEqual(['delete 42:77']);
    const spaced = await run('/set api key openai two words', services());
    expect(spaced).toMatch(/The key was not stored: the key must not contain spaces/);
    expect(spaced).not.toContain('two words');
    const down = await run(`/set api key openai ${KEY}`, services(true, true));
    expect(down).toMatch(/secret store is unavailable/);
    expect(down).not.toContain(KEY);
    const broken = { ...services(), isOwner: async () => Promise.reject(new Error('registry down')) };
    const b = await run(`/set api key openai ${KEY}`, broken);
    expect(b).toBe('Settings are unavailable right now; nothing was stored. Your message was deleted. Please try again later.');
    expect(broken.log).toEqual(['delete 42:77']);
    expect(await run('/set api key', services())).toMatch(/^Usage: \/set api key <provider> <key>/);
    expect(await run('/set theme dark', services())).toMatch(/^Unknown setting\. Usage/);
    expect(await run(`/set api key openai ${KEY}`, null)).toBe('Settings commands are not available here.');
  });
});

describe('/model', () => {
  it('lists providers and models, and explains bad input', async () => {
    expect(await run('/model')).toMatch(/^Model command usage:[\s\S]*Providers in catalog:\n- openai \(2\)\n- groq \(1\)/);
    expect(await run('/model list')).toMatch(/^Providers:\n- openai: 2 models \(example: gpt-5.3\)\n- groq: 1 models/);
    expect(await run('/model list openai')).toBe('Models for openai:\n- gpt-5.3\n- gpt-5-mini (GPT Mini)\nUse: /model openai/<model>');
    expect(await run('/model list localai')).toBe('No models found for provider localai.');
    expect(await run('/model list nosuch')).toMatch(/^Unknown provider "nosuch"\. Known providers: groq, localai, openai\./);
    expect(await run('/model localai')).toMatch(/^Provider localai has no catalog models/);
  });

  it('sets the model by id or name (case-insensitive), keeps unknown ids with a note, and resets', async () => {
    const s = services();
    expect(await run('/model OpenAI/GPT-5.3', s)).toBe('Model set: openai/gpt-5.3');
    expect(await run('/model openai GPT Mini', s)).toBe('Model set: openai/gpt-5-mini');
    expect(await run('/model groq', s)).toBe('Model set: groq/llama-3.3-70b');
    expect(await run('/model openai/gpt-9', s)).toMatch(/^Model set: openai\/gpt-9\nNote: gpt-9 is not in the catalog/);
    expect(await run('/model default', s)).toMatch(/^Model reset/);
    expect(s.log).toEqual(['model sk openai/gpt-5.3', 'model sk openai/gpt-5-mini', 'model sk groq/llama-3.3-70b', 'model sk openai/gpt-9', 'model sk null']);
  });

  it('answers /auth without a login port clearly, and /help lists the commands', async () => {
    expect(await run('/auth start kimi')).toMatch(/not available on this gateway/);
    expect(await run('/help')).toMatch(/\/model list \[provider\][\s\S]*\/set api key <provider> <key>[\s\S]*\/auth providers/);
  });

  it('/auth lists, starts and checks a device login for the owner in a DM only', async () => {
    const polls: string[] = [];
    const oauth = {
      providers: async () => [{ provider: 'qwen-portal', loggedIn: false }],
      start: async (p: string) => (p === 'qwen-portal' ? { loginId: '00000000-0000-4000-8000-000000000001', userCode: 'ABCD-1234', verificationUri: 'https://idp.example/activate', expiresAt: Date.UTC(2030, 0, 1, 12, 30) } : { error: `provider "${p}" has no device login` }),
      poll: async (id: string) => (polls.push(id), polls.length === 1 ? { status: 'pending', provider: 'qwen-portal' } : { status: 'ok', provider: 'qwen-portal' }),
    };
    const s = { ...services(), oauth };
    expect(await run('/auth providers', s)).toBe('Providers with device login:\nqwen-portal: not logged in');
    expect(await run('/auth start qwen-portal', s)).toBe('Open https://idp.example/activate\nand confirm the code ABCD-1234 (valid until 12:30 UTC).\nThen send: /auth wait 00000000-0000-4000-8000-000000000001');
    expect(await run('/auth start nothing', s)).toMatch(/^Could not start the login: provider "nothing" has no device login/);
    expect(await run('/auth wait 00000000-0000-4000-8000-000000000001', s)).toMatch(/^Still waiting/);
    expect(await run('/auth wait 00000000-0000-4000-8000-000000000001', s)).toMatch(/^Logged in to qwen-portal/);
    expect(await run('/auth wait nope', s)).toMatch(/^Usage: \/auth providers/);
    expect(await run('/auth', s)).toMatch(/^Usage/);
    expect(await run('/auth providers', { ...services(false), oauth })).toBe('Only the owner of this bot can log providers in.');
    expect(await run('/auth providers', s, envelope({ chat: { kind: 'group', id: '-100' } }))).toBe('Provider logins work only in a direct message with the bot.');
  });
});
