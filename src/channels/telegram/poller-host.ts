/**
 * Wires a TelegramPoller for one account from Env and a key-value storage (Durable Object storage on
 * both hosts): offset and status persisted, updates handed to the sessions, short answers sent.
 */
import type { Env } from '../../env.ts';
import { createLogger, type Logger } from '../../log.ts';
import type { InboundSink, SessionControl } from '../envelope.ts';
import { MemoryOutboxStore, type OutboxStore } from '../outbox.ts';
import { DEFAULT_RETRY, type RetryClock } from '../retry.ts';
import { sessionsControl, sessionsSink } from '../sessions-sink.ts';
import { botIdentity, createBotApi, type BotApiOptions } from './api.ts';
import { findTelegramAccount, type TelegramAccount } from './config.ts';
import { createTelegramOutbox } from './delivery.ts';
import { handleUpdate } from './inbound.ts';
import { telegramCommandServices } from './command-services.ts';
import { telegramInboundPairing } from './pairing.ts';
import { DEFAULT_POLLER_SETTINGS, TelegramPoller, type PollerSettings, type PollerStatus } from './polling.ts';
import { dispatchReplies, type TelegramBindings } from './routes.ts';

/** The storage members used (DurableObjectStorage's KV API). */
export interface PollerStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** Storage keys. */
export const POLLER_KEYS = { account: 'account', offset: 'offset', status: 'status' } as const;

/** Optional overrides (tests: a fake's fetch, a deterministic clock). */
export interface PollerHostOptions {
  readonly apiOptions?: BotApiOptions;
  readonly sink?: InboundSink;
  readonly control?: SessionControl;
  readonly replyStore?: OutboxStore;
  readonly clock?: RetryClock;
  readonly settings?: Partial<PollerSettings>;
  readonly log?: Logger;
}

/**
 * Builds the poller of `accountId`, or null when that account is not configured for polling.
 * @example const poller = await createAccountPoller(env, 'default', ctx.storage)
 */
export async function createAccountPoller(env: Env & TelegramBindings, accountId: string, storage: PollerStorage, opts: PollerHostOptions = {}): Promise<{ poller: TelegramPoller; account: TelegramAccount } | null> {
  const account = findTelegramAccount(env, accountId);
  if (!account || account.transport !== 'polling') return null;
  const log = opts.log ?? createLogger('info', { channel: 'telegram', account: account.id });
  const settings: PollerSettings = { ...DEFAULT_POLLER_SETTINGS, timeoutSeconds: account.pollTimeoutSeconds, ...opts.settings };
  // The HTTP timeout must outlast the long poll, or every quiet poll would look like a network failure.
  const api = createBotApi(account, { timeoutSeconds: settings.timeoutSeconds + 15, ...opts.apiOptions });
  const sink = opts.sink ?? sessionsSink(env.SESSIONS);
  const control = opts.control ?? sessionsControl(env.SESSIONS);
  const outbox = createTelegramOutbox({
    account: (id) => findTelegramAccount(env, id),
    api: () => api,
    store: opts.replyStore ?? new MemoryOutboxStore(2_000),
    policy: { ...DEFAULT_RETRY, maxAttempts: 3, maxTotalWaitMs: 20_000 },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const pairing = telegramInboundPairing(env);
  const commands = telegramCommandServices(env, account, api);
  const status = await storage.get<PollerStatus>(POLLER_KEYS.status);
  const poller = new TelegramPoller({
    account: account.id,
    api,
    settings,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(status ? { status } : {}),
    offsets: {
      load: async () => (await storage.get<number>(POLLER_KEYS.offset)) ?? null,
      save: (offset) => storage.put(POLLER_KEYS.offset, offset),
    },
    async handle(update) {
      const identity = await botIdentity(account, api);
      const outcome = await handleUpdate(update, { account, identity, sink, control, pairing, commands });
      // Answers go out after the hand-off; a failed answer never holds the offset back.
      if (outcome.replies.length > 0) await dispatchReplies(outbox, outcome.replies, log);
    },
    onInvalid: (updateId, reason) => log.warn('telegram update skipped (invalid)', { updateId, reason }),
  });
  return { poller, account };
}
