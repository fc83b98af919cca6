/**
 * The model commands of a chat (seed-system.md §7.5): `/model`, `/model list [provider]`,
 * `/model <provider>/<model>` (or `<provider> <model>`, `default`), and `/set api key <provider> <key>`
 * (owner only, DM only: the key goes to the secret store, then the message that carried it is deleted;
 * no reply repeats it). Every bad input gets a usage line.
 */
import { apiKeyProblem } from '../../providers/stored-keys.ts';
import type { InboundEnvelope } from '../envelope.ts';

/** One catalog model (no keys). */
export interface CommandModel {
  readonly provider: string;
  readonly id: string;
  readonly name: string;
}

/** What the model commands need; built per account from env (src/channels/telegram/command-services.ts). */
export interface CommandServices {
  /** The catalog (presets, config, stored keys applied) and every known provider id. */
  catalog(): Promise<{ models: readonly CommandModel[]; providers: readonly string[] }>;
  normalizeProvider(raw: string): string;
  /** Sets (or with null clears) the session's model override. */
  setModel(sessionKey: string, model: string | null): Promise<void>;
  isOwner(sender: InboundEnvelope['sender']): Promise<boolean>;
  /** Stores a provider key in the secret store (validated there too). */
  storeApiKey(provider: string, key: string, by: string): Promise<void>;
  /** Deletes a chat message; false when Telegram refused (e.g. too old, or no rights in a group). */
  deleteMessage(chatId: string, messageId: string): Promise<boolean>;
  /** OAuth device logins through the gateway (`/auth`); absent = not available here. */
  readonly oauth?: OAuthCommandPort;
}

/** What `/auth` needs: the gateway's device-login operations. */
export interface OAuthCommandPort {
  providers(): Promise<Array<{ provider: string; loggedIn: boolean }>>;
  start(provider: string): Promise<{ loginId: string; userCode: string; verificationUri: string; verificationUriComplete?: string; expiresAt: number } | { error: string }>;
  poll(loginId: string): Promise<{ status: string; provider: string; message?: string } | null>;
}

const AUTH_USAGE = 'Usage: /auth providers – which providers log in by device code\n/auth start <provider> – get a code to confirm in your browser\n/auth wait <login id> – check whether the login went through';

/**
 * `/auth providers|start|wait`: device-code login of a provider (owner only, in a direct message).
 * @example await authCommand('start qwen-portal', envelope, services)
 */
export async function authCommand(args: string, envelope: InboundEnvelope, services: CommandServices): Promise<string> {
  if (envelope.chat.kind !== 'dm') return 'Provider logins work only in a direct message with the bot.';
  if (!(await services.isOwner(envelope.sender))) return 'Only the owner of this bot can log providers in.';
  const oauth = services.oauth;
  if (!oauth) return 'Provider login is not available on this gateway.';
  const [action = '', target = ''] = args.trim().split(/\s+/);
  switch (action.toLowerCase()) {
    case 'providers': {
      const list = await oauth.providers();
      if (list.length === 0) return 'No configured provider logs in by device code.';
      return ['Providers with device login:', ...list.map((p) => `${p.provider}: ${p.loggedIn ? 'logged in' : 'not logged in'}`)].join('\n');
    }
    case 'start': {
      if (!target) return AUTH_USAGE;
      const r = await oauth.start(services.normalizeProvider(target));
      if ('error' in r) return `Could not start the login: ${r.error}`;
      const url = r.verificationUriComplete ?? r.verificationUri;
      return [`Open ${url}`, `and confirm the code ${r.userCode} (valid until ${new Date(r.expiresAt).toISOString().slice(11, 16)} UTC).`, `Then send: /auth wait ${r.loginId}`].join('\n');
    }
    case 'wait': {
      if (!/^[0-9a-f-]{36}$/i.test(target)) return AUTH_USAGE;
      const r = await oauth.poll(target);
      if (!r) return 'No such login (it may have expired); start again with /auth start <provider>.';
      if (r.status === 'ok') return `Logged in to ${r.provider}. Its models can be used now (/model list ${r.provider}).`;
      if (r.status === 'pending') return `Still waiting for you to confirm the code. Send /auth wait ${target} again after confirming.`;
      return `The login did not go through (${r.status}${r.message ? `: ${r.message}` : ''}). Start again with /auth start ${r.provider}.`;
    }
    default:
      return AUTH_USAGE;
  }
}

const LIST_MAX = 120;
const MODEL_USAGE = [
  'Model command usage:',
  '/model list – providers and how many models each has',
  '/model list <provider> – that provider’s model ids',
  '/model <provider>/<model> – use that model in this chat',
  '/model <provider> <model> – the same',
  '/model default – back to the configured default',
  '/set api key <provider> <key> – owner only, in a direct message',
].join('\n');
const SET_USAGE = 'Usage: /set api key <provider> <key>\nExample: /set api key openrouter sk-or-...';

/**
 * Parses `/set` arguments: `api key <provider> <key>`; null when they do not start with `api key`.
 * The key is everything after the provider (validated by the secret store: one token, no spaces).
 * @example parseSetApiKey('api key openai sk-123') // { provider: 'openai', key: 'sk-123' }
 */
export function parseSetApiKey(args: string): { provider: string; key: string } | { provider: null; key: null } | null {
  const m = /^api\s+key(?:\s+(\S+)(?:\s+([\s\S]+))?)?$/i.exec(args.trim());
  if (!m) return null;
  if (!m[1] || !m[2]) return { provider: null, key: null };
  return { provider: m[1], key: m[2].trim() };
}

/** `/model …` */
export async function modelCommand(args: string, sessionKey: string, s: CommandServices): Promise<string> {
  const words = args.split(/\s+/).filter(Boolean);
  const { models, providers } = await s.catalog();
  const byProvider = new Map<string, CommandModel[]>();
  for (const m of models) byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m]);
  const first = words[0]?.toLowerCase();
  if (!first || first === 'help') {
    const lines = [...byProvider.entries()].slice(0, 80).map(([p, list]) => `- ${p} (${list.length})`);
    return [MODEL_USAGE, '', 'Providers in catalog:', ...(lines.length ? lines : ['(none)'])].join('\n');
  }
  if (first === 'list') {
    if (!words[1]) {
      if (byProvider.size === 0) return 'No models are currently available.';
      const lines = [...byProvider.entries()].slice(0, LIST_MAX).map(([p, list]) => `- ${p}: ${list.length} models (example: ${list[0]!.id})`);
      return ['Providers:', ...lines, 'Use /model list <provider> for full model ids.'].join('\n');
    }
    const p = s.normalizeProvider(words[1]);
    if (!providers.includes(p)) return unknownProvider(words[1], providers);
    const list = byProvider.get(p) ?? [];
    if (list.length === 0) return `No models found for provider ${p}.`;
    const lines = list.slice(0, LIST_MAX).map((m) => (m.name && m.name !== m.id ? `- ${m.id} (${m.name})` : `- ${m.id}`));
    const more = list.length > LIST_MAX ? [`… and ${list.length - LIST_MAX} more`] : [];
    return [`Models for ${p}:`, ...lines, ...more, `Use: /model ${p}/<model>`].join('\n');
  }
  if (first === 'default' || first === 'reset') {
    await s.setModel(sessionKey, null);
    return 'Model reset to the configured default for this chat.';
  }
  // `<provider>/<model>` or `<provider> <model words…>` or a bare `<provider>`.
  const raw = words.join(' ');
  const slash = raw.indexOf('/');
  const rawProvider = slash > 0 ? raw.slice(0, slash) : words[0]!;
  const rawModel = (slash > 0 ? raw.slice(slash + 1) : words.slice(1).join(' ')).trim();
  const p = s.normalizeProvider(rawProvider);
  if (!providers.includes(p)) return unknownProvider(rawProvider, providers);
  const list = byProvider.get(p) ?? [];
  if (!rawModel) {
    if (list.length === 0) return `Provider ${p} has no catalog models. Use /model list first, or name the model: /model ${p}/<model>.`;
    await s.setModel(sessionKey, `${p}/${list[0]!.id}`);
    return `Model set: ${p}/${list[0]!.id}`;
  }
  if (/\s/.test(rawModel) && !list.some((m) => m.name.toLowerCase() === rawModel.toLowerCase())) return `Model ids have no spaces: "${rawModel.slice(0, 64)}".\nUse: /model ${p}/<model>`;
  if (rawModel.length > 200) return 'That model id is too long (at most 200 characters).';
  const hit = list.find((m) => m.id.toLowerCase() === rawModel.toLowerCase() || m.name.toLowerCase() === rawModel.toLowerCase());
  const model = hit?.id ?? rawModel;
  await s.setModel(sessionKey, `${p}/${model}`);
  return hit ? `Model set: ${p}/${model}` : `Model set: ${p}/${model}\nNote: ${model} is not in the catalog; it is used as given.`;
}

function unknownProvider(raw: string, providers: readonly string[]): string {
  return `Unknown provider "${raw.slice(0, 64)}". Known providers: ${providers.slice(0, 40).join(', ')}${providers.length > 40 ? ', …' : ''}.\nUse /model list to see them with their models.`;
}

/**
 * `/set …`. `deleteCarrier` is called whenever the message may carry a key (any `/set api key …`),
 * after the key is stored, whatever the outcome, so a key never stays in the chat because of a typo.
 */
export async function setCommand(args: string, env: InboundEnvelope, s: CommandServices): Promise<string> {
  const parsed = parseSetApiKey(args);
  if (parsed === null) return `Unknown setting. ${SET_USAGE}`;
  const deleteCarrier = async (): Promise<string> =>
    (await s.deleteMessage(env.chat.id, env.messageId).catch(() => false)) ? 'Your message was deleted.' : 'I could not delete your message: please delete it yourself.';
  if (env.chat.kind !== 'dm') return `/set api key works only in a direct message with me. ${parsed.key ? await deleteCarrier() : ''}`.trim();
  if (!(await s.isOwner(env.sender))) return `Only the owner of this assistant can set API keys. ${parsed.key ? await deleteCarrier() : ''}`.trim();
  if (!parsed.provider || !parsed.key) return SET_USAGE;
  const { providers } = await s.catalog();
  const provider = s.normalizeProvider(parsed.provider);
  if (!providers.includes(provider)) return `${unknownProvider(parsed.provider, providers)}\nThe key was not stored. ${await deleteCarrier()}`;
  const problem = apiKeyProblem(parsed.key);
  if (problem) return `The key was not stored: ${problem}. ${await deleteCarrier()}\n${SET_USAGE}`;
  try {
    await s.storeApiKey(provider, parsed.key, `telegram:${env.account}:${env.sender.id}`);
  } catch {
    // Whatever failed, its message is not repeated: only the rules above are safe to describe.
    return `The key was not stored: the secret store is unavailable right now. Try again later. ${await deleteCarrier()}`;
  }
  return `API key for ${provider} saved. ${await deleteCarrier()}\nSet a model with /model ${provider}/<model>.`;
}
