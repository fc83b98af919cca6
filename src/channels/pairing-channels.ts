/**
 * Channels that support DM pairing, and the operations the gateway methods run over them: listing,
 * approving (with the owner-bootstrap rule and the "you're approved" notice sent once through the
 * channel outbox), dismissing and revoking. A channel joins by adding a PairingChannel entry.
 */
import { settingsOf } from '../config/settings.ts';
import type { Env } from '../env.ts';
import type { ApprovedSenderRow } from '../storage/repos/pairing.ts';
import type { DeliveryReport } from './envelope.ts';
import type { OutboxRecord, OutboxStore } from './outbox.ts';
import { PAIRING_TEXTS, PairingStore, type PairingStoreOptions } from './pairing.ts';
import { telegramPairingChannel } from './telegram/pairing.ts';
import type { BotApiOptions } from './telegram/api.ts';

/** Options for reaching a channel's API (tests: a fake's fetch). */
export interface ChannelApiOptions {
  readonly telegram?: BotApiOptions;
}

/** What a channel provides to pairing. */
export interface PairingChannel {
  readonly id: string;
  /** Configured account ids. */
  accounts(env: Env): readonly string[];
  /** The owner set in config (an id or @username), or null when config names none. */
  configuredOwner(env: Env, account: string): string | null;
  /** Sends `text` to the approved sender's DM through the channel outbox (`store` records it, so it goes once). */
  notify(env: Env, approved: ApprovedSenderRow, msg: { key: string; text: string }, store: OutboxStore, api?: ChannelApiOptions): Promise<DeliveryReport>;
}

/** Every channel with pairing, by id. */
export const PAIRING_CHANNELS: Readonly<Record<string, PairingChannel>> = { telegram: telegramPairingChannel };

/**
 * The pairing store of this env, with the configured limits.
 * @example await pairingStoreOf(env).isApproved('telegram', 'default', '42')
 */
export function pairingStoreOf(env: Env, opts: PairingStoreOptions = {}): PairingStore {
  return new PairingStore(env.DB, settingsOf(env).pairing, opts);
}

/**
 * The outbox record of an approval notice, kept on the approved row itself (one message, chunk 0), so a
 * repeated approval or a retry never sends the notice twice.
 */
export class ApprovalNoticeStore implements OutboxStore {
  readonly #store: PairingStore;
  readonly #row: ApprovedSenderRow;
  constructor(store: PairingStore, row: ApprovedSenderRow) {
    this.#store = store;
    this.#row = row;
  }
  async get(key: string, chunk: number): Promise<OutboxRecord | null> {
    const row = await this.#store.repo.approvedOf(this.#row.channel, this.#row.account, this.#row.senderId);
    if (!row?.noticeState || chunk !== 0) return null;
    return { key, chunk, state: row.noticeState, messageId: row.noticeMessageId, attempts: row.noticeAttempts, error: row.noticeError, at: 0 };
  }
  async put(r: OutboxRecord): Promise<void> {
    if (r.chunk !== 0) return;
    await this.#store.repo.recordNotice(this.#row.channel, this.#row.account, this.#row.senderId, { state: r.state, messageId: r.messageId, attempts: r.attempts, error: r.error, at: r.at });
  }
}

/** Whether `account` of `channel` already has an owner (config, or an earlier approval). */
export async function ownerKnown(env: Env, store: PairingStore, channel: PairingChannel, account: string): Promise<boolean> {
  if (channel.configuredOwner(env, account)) return true;
  return (await store.repo.ownerOf(channel.id, account)) !== null;
}

/** Result of a notice attempt. */
export interface NoticeResult {
  readonly status: 'sent' | 'already-sent' | 'failed' | 'skipped';
  readonly error?: string;
}

/**
 * Sends the approval notice once (skipped when already sent). Never throws: a failure is recorded on the
 * row and reported; approving the same code again retries it.
 * @example await notifyApproved(env, store, approved)
 */
export async function notifyApproved(env: Env, store: PairingStore, approved: ApprovedSenderRow, api?: ChannelApiOptions): Promise<NoticeResult> {
  const channel = PAIRING_CHANNELS[approved.channel];
  if (!channel) return { status: 'skipped', error: `channel ${approved.channel} cannot send notices` };
  const key = `pairing:${approved.channel}:${approved.account}:${approved.senderId}:${approved.approvedAt}`;
  try {
    const report = await channel.notify(env, approved, { key, text: PAIRING_TEXTS.approved }, new ApprovalNoticeStore(store, approved), api);
    if (report.status === 'sent') return { status: report.sentNow > 0 ? 'sent' : 'already-sent' };
    return { status: 'failed', ...(report.error ? { error: report.error } : {}) };
  } catch (err) {
    return { status: 'failed', error: (err instanceof Error ? err.message : String(err)).slice(0, 300) };
  }
}
