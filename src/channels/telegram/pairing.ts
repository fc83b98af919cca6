/**
 * Telegram side of DM pairing: the port the inbound path uses (approved? request a code, announce it to
 * holders of `operator.pairing`), the PairingChannel entry (accounts, configured owner, approval notice
 * through the Telegram outbox), and the owner check of owner-only commands.
 */
import { settingsOf } from '../../config/settings.ts';
import type { Env } from '../../env.ts';
import { createLogger } from '../../log.ts';
import type { ApprovedSenderRow } from '../../storage/repos/pairing.ts';
import { senderAllowed } from '../activation.ts';
import type { Sender } from '../envelope.ts';
import type { OutboxStore } from '../outbox.ts';
import { DEFAULT_RETRY } from '../retry.ts';
import { PairingStore, type PairingRequestOutcome, type PairingSender } from '../pairing.ts';
import { createBotApi, type BotApiOptions } from './api.ts';
import { findTelegramAccount, resolveTelegramAccounts, type TelegramAccount, type TelegramVars } from './config.ts';
import { createTelegramOutbox } from './delivery.ts';

/** What the inbound path asks of pairing. */
export interface InboundPairing {
  isApproved(account: string, senderId: string): Promise<boolean>;
  request(account: string, sender: PairingSender): Promise<PairingRequestOutcome>;
  /** Code lifetime, for the text sent with it. */
  readonly codeTtlMs: number;
}

/** The bindings pairing uses. */
type PairingEnv = Pick<Env, 'DB' | 'GATEWAY'> & TelegramVars;

/**
 * The inbound pairing port over the registry; a new request is announced as `pairing.requested`
 * (best effort: the code reply does not wait on the gateway).
 * @example handleUpdate(update, { ...deps, pairing: telegramInboundPairing(env) })
 */
export function telegramInboundPairing(env: PairingEnv, store = new PairingStore(env.DB, settingsOf(env as Env).pairing)): InboundPairing {
  return {
    codeTtlMs: store.limits.codeTtlMs,
    isApproved: (account, senderId) => store.isApproved('telegram', account, senderId),
    async request(account, sender) {
      const outcome = await store.request('telegram', account, sender);
      if (outcome.status === 'created') {
        const r = outcome.request;
        const payload = { channel: r.channel, account: r.account, senderId: r.senderId, username: r.username, displayName: r.displayName, code: r.code, createdAt: r.createdAt, expiresAt: r.expiresAt };
        await env.GATEWAY.getByName('main')
          .broadcast('pairing.requested', payload)
          .catch((err: unknown) => createLogger().warn('pairing.requested not broadcast', { err }));
      }
      return outcome;
    },
  };
}

/** The configured owner entry of an account: `owner`, else its first specific `allowFrom` entry. */
export function configuredTelegramOwner(account: Pick<TelegramAccount, 'owner' | 'allowFrom'>): string | null {
  if (account.owner) return account.owner;
  return account.allowFrom.find((e) => e.trim() !== '*') ?? null;
}

/**
 * Whether `sender` owns the account: the configured owner, else the sender recorded as owner by the
 * first pairing approval.
 * @example await isTelegramOwner(env, account, envelope.sender)
 */
export async function isTelegramOwner(env: PairingEnv, account: TelegramAccount, sender: Pick<Sender, 'id' | 'username'>): Promise<boolean> {
  const configured = configuredTelegramOwner(account);
  if (configured) return senderAllowed([configured], sender);
  const owner = await new PairingStore(env.DB).repo.ownerOf('telegram', account.id);
  return owner !== null && owner.senderId === sender.id;
}

/** Telegram's PairingChannel entry. */
export const telegramPairingChannel = {
  id: 'telegram',
  accounts: (env: TelegramVars) => resolveTelegramAccounts(env).map((a) => a.id),
  configuredOwner(env: TelegramVars, accountId: string): string | null {
    const account = findTelegramAccount(env, accountId);
    return account ? configuredTelegramOwner(account) : null;
  },
  notify(env: TelegramVars, approved: ApprovedSenderRow, msg: { key: string; text: string }, store: OutboxStore, api?: { telegram?: BotApiOptions }) {
    const outbox = createTelegramOutbox({
      account: (id) => findTelegramAccount(env, id),
      api: (a) => createBotApi(a, api?.telegram ?? {}),
      store,
      policy: { ...DEFAULT_RETRY, maxAttempts: 3, maxDelayMs: 5_000, maxRetryAfterMs: 10_000, maxTotalWaitMs: 20_000 },
    });
    // A private chat's id is the user's id.
    return outbox.deliverPlain(msg.key, { channel: 'telegram', account: approved.account, chatId: approved.senderId }, msg.text);
  },
};
