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
import { botIdentity, createBotApi, type BotApi, type BotApiOptions } from './api.ts';
import { findTelegramAccount, type TelegramAccount } from './config.ts';
import { createTelegramOutbox } from './delivery.ts';
import { handleUpdate } from './inbound.ts';
import type { InboxRow } from './inbox.ts';
import { telegramCommandServices } from './command-services.ts';
import { telegramInboundPairing } from './pairing.ts';
import { DEFAULT_POLLER_SETTINGS, TelegramPoller, type PollerSettings, type PollerStatus } from './polling.ts';
import { dispatchReplies, type TelegramBindings } from './routes.ts';
import { TelegramUpdateSchema, type TelegramUpdate } from './update.ts';

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
  const handle = accountHandOff(env, account, api, opts, log);
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
    handle,
    onInvalid: (updateId, reason) => log.warn('telegram update skipped (invalid)', { updateId, reason }),
  });
  return { poller, account };
}

/**
 * The hand-off of one update of `account`, shared by polling and the webhook inbox: normalise, route and
 * queue it in its session, then send the short answers (a failed answer never fails the hand-off).
 */
function accountHandOff(env: Env & TelegramBindings, account: TelegramAccount, api: BotApi, opts: PollerHostOptions, log: Logger): (update: TelegramUpdate) => Promise<void> {
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
  return async (update) => {
    const identity = await botIdentity(account, api);
    const outcome = await handleUpdate(update, { account, identity, sink, control, pairing, commands });
    if (outcome.replies.length > 0) await dispatchReplies(outbox, outcome.replies, log);
  };
}

/** Hands webhook inbox rows to the sessions: `handle` for drainInbox, `chatOf` to keep each chat in order. */
export interface InboxDrainer {
  handle(row: InboxRow): Promise<void>;
  chatOf(row: InboxRow): string;
}

/**
 * Builds the inbox drainer of `accountId`, or null when the account is not configured. A row that is no
 * longer a valid update (a poison body) is logged and completed, so it cannot block the inbox.
 * @example const d = createInboxDrainer(env, 'default'); if (d) await drainInbox(inbox, d.handle, d.chatOf)
 */
export function createInboxDrainer(env: Env & TelegramBindings, accountId: string, opts: PollerHostOptions = {}): InboxDrainer | null {
  const account = findTelegramAccount(env, accountId);
  if (!account) return null;
  const log = opts.log ?? createLogger('info', { channel: 'telegram', account: account.id });
  const handOff = accountHandOff(env, account, createBotApi(account, opts.apiOptions ?? {}), opts, log);
  const parsed = new WeakMap<InboxRow, TelegramUpdate | null>();
  const parse = (row: InboxRow): TelegramUpdate | null => {
    if (parsed.has(row)) return parsed.get(row) ?? null;
    let update: TelegramUpdate | null = null;
    try {
      const r = TelegramUpdateSchema.safeParse(JSON.parse(row.body));
      if (r.success) update = r.data;
    } catch {
      update = null;
    }
    parsed.set(row, update);
    return update;
  };
  return {
    async handle(row) {
      const update = parse(row);
      if (!update) return log.warn('telegram inbox row skipped (not a valid update)', { updateId: row.updateId });
      await handOff(update);
    },
    chatOf(row) {
      const u = parse(row);
      const chat = u?.message?.chat.id ?? u?.edited_message?.chat.id ?? u?.channel_post?.chat.id;
      return chat === undefined ? `update:${row.updateId}` : `chat:${chat}`;
    },
  };
}
