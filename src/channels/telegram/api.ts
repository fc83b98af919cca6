/**
 * The Bot API client: grammY's `Api` from its web build (`grammy/web`, fetch only, no Node modules),
 * with `apiRoot` and `fetch` injectable so fakes plug in without patching globals. Failures are mapped
 * to the shared retry classes. https://core.telegram.org/bots/api#making-requests
 */
import { Api, GrammyError, HttpError } from 'grammy/web';
import type { Failure } from '../retry.ts';
import { botIdOf, type TelegramAccount } from './config.ts';
import type { BotIdentity } from './update.ts';

/** The fetch surface grammY calls: a string URL and an init. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** How to reach the Bot API (tests pass a fake's `fetch` and/or `apiRoot`). */
export interface BotApiOptions {
  readonly fetch?: FetchLike;
  readonly apiRoot?: string;
  /** Request timeout; must exceed the getUpdates long-poll timeout. */
  readonly timeoutSeconds?: number;
}

/** A grammY Api for `account`. */
export type BotApi = Api;

/**
 * Creates the Bot API client of an account.
 * @example const api = createBotApi(account, { apiRoot: fake.url })
 */
export function createBotApi(account: Pick<TelegramAccount, 'token' | 'apiRoot'>, opts: BotApiOptions = {}): BotApi {
  const apiRoot = opts.apiRoot ?? account.apiRoot;
  const userFetch = opts.fetch;
  return new Api(account.token, {
    ...(apiRoot ? { apiRoot } : {}),
    timeoutSeconds: opts.timeoutSeconds ?? 60,
    // SAFETY: grammY's web build calls fetch(url: string, init) and reads `res.json()`; its option type
    // names node-fetch because the typings are shared with the Node build.
    fetch: ((input: string, init?: RequestInit) => (userFetch ?? fetch)(input, init)) as never,
  });
}

/** The Bot API error code of `err`, or null for non-API failures. */
export function apiErrorCode(err: unknown): number | null {
  return err instanceof GrammyError ? err.error_code : null;
}

/** A short, secret-free description of a failure (grammY never puts the token in messages). */
export function describeError(err: unknown): string {
  if (err instanceof GrammyError) return `${err.error_code}: ${err.description}`.slice(0, 300);
  if (err instanceof HttpError) return `network: ${err.message}`.slice(0, 300);
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

const PARSE_ERROR = /can't parse entities|can't find end|unsupported start tag|unexpected end tag|unclosed start tag/i;

/** True when Telegram rejected the formatting (then the chunk is resent as plain text). */
export function isParseError(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && PARSE_ERROR.test(err.description);
}

/**
 * Maps a Bot API failure to a retry class: 429 waits `parameters.retry_after`; 5xx and network errors
 * (no answer, timeouts, unreadable bodies) are transient; other API errors are final.
 */
export function classifyTelegramError(err: unknown): Failure {
  const message = describeError(err);
  if (err instanceof GrammyError) {
    if (err.error_code === 429) {
      const seconds = err.parameters?.retry_after;
      return { kind: 'rate_limited', retryAfterMs: (typeof seconds === 'number' && seconds > 0 ? seconds : 1) * 1000, message };
    }
    if (err.error_code >= 500) return { kind: 'transient', message };
    return { kind: 'final', message };
  }
  if (err instanceof HttpError) return { kind: 'transient', message };
  return { kind: 'final', message };
}

const IDENTITY_CAP = 64;
const identities = new Map<string, BotIdentity>();

/**
 * Who the bot is: the id comes from the token; the username from config or one cached getMe per isolate.
 * A failed getMe yields `username: null` (mentions by @name are then missed, replies still count).
 */
export async function botIdentity(account: TelegramAccount, api: BotApi): Promise<BotIdentity> {
  const id = botIdOf(account);
  if (account.botUsername) return { id, username: account.botUsername };
  const cacheKey = `${id}|${account.apiRoot ?? ''}`;
  const hit = identities.get(cacheKey);
  if (hit) return hit;
  try {
    const me = await api.getMe();
    const identity = { id: String(me.id), username: me.username ?? null };
    if (identities.size >= IDENTITY_CAP) identities.delete(identities.keys().next().value!);
    identities.set(cacheKey, identity);
    return identity;
  } catch {
    return { id, username: null };
  }
}
