/**
 * The `send` method's delivery: one message to a channel target (Telegram chat, Slack channel, WhatsApp
 * number) through that channel's outbox, in the gateway object's SQLite. `idempotencyKey` is durable:
 * a repeat within the window returns the first result and sends nothing (a crashed send is retried, and
 * the outbox skips chunks already sent). Results are bounded by count and age (queue.idempotency*).
 */
import { z } from 'zod';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { SqlOutboxStore } from '../channels/outbox.ts';
import type { ChannelOutbox, ReplyTarget } from '../channels/envelope.ts';
import type { SqlPort } from '../scheduler/session-schema.ts';

/** `send` params (reference SendParamsSchema; media fields are not supported yet and are refused). */
export const SendParamsSchema = z.strictObject({
  to: z.string().min(1).max(256),
  idempotencyKey: z.string().min(1).max(256),
  message: z.string().min(1).max(64 * 1024),
  channel: z.enum(['telegram', 'slack', 'whatsapp']).optional(),
  accountId: z.string().min(1).max(64).optional(),
  agentId: z.string().min(1).max(64).optional(),
  threadId: z.string().regex(/^[0-9.]{1,32}$/, 'expected a numeric thread id').optional(),
  replyToId: z.string().regex(/^\d{1,20}$/, 'expected a numeric message id').optional(),
  silent: z.boolean().optional(),
  sessionKey: z.string().min(1).max(512).optional(),
});
/** Validated `send` params. */
export type SendParams = z.output<typeof SendParamsSchema>;

/** What `send` answers (and what a repeat of the same key answers again). */
export interface SendResult {
  runId: string;
  status: 'ok' | 'in_flight';
  channel: string;
  to: string;
  messageId?: string;
  messageIds?: string[];
  chunks?: number;
  deduplicated?: boolean;
}

type Row = Record<string, string | number | null | ArrayBuffer>;

/** A crashed send is retried by a repeat after this long (before that, the repeat answers in_flight). */
const IN_FLIGHT_STALE_MS = 60_000;

async function outboxFor(env: Env, channel: string, store: SqlOutboxStore): Promise<ChannelOutbox> {
  if (channel === 'telegram') {
    const [{ createTelegramOutbox }, { findTelegramAccount }, { createBotApi }] = await Promise.all([
      import('../channels/telegram/delivery.ts'),
      import('../channels/telegram/config.ts'),
      import('../channels/telegram/api.ts'),
    ]);
    return createTelegramOutbox({ account: (id) => findTelegramAccount(env, id), api: (a) => createBotApi(a), store });
  }
  if (channel === 'slack') return (await import('../channels/slack/delivery.ts')).slackOutboxFor(env, store);
  return (await import('../channels/whatsapp/delivery.ts')).whatsappOutboxFor(env, store);
}

/** Durable send results plus the outbox rows of `send`. */
export class SendService {
  readonly #env: Env;
  readonly #sql: SqlPort;
  #outbox: SqlOutboxStore | null = null;

  constructor(env: Env, sql: SqlPort) {
    this.#env = env;
    this.#sql = sql;
  }

  /** Creates the table (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS send_results (idem_key TEXT PRIMARY KEY, state TEXT NOT NULL, result TEXT, at INTEGER NOT NULL, n INTEGER NOT NULL)`);
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS send_results_n ON send_results (n)`);
  }

  /** Sends once per idempotency key (within `ttlMs`, at most `cap` keys remembered). */
  async send(p: SendParams, limits: { cap: number; ttlMs: number }, now: number): Promise<SendResult> {
    const channel = p.channel ?? 'telegram';
    this.#sql.exec(`DELETE FROM send_results WHERE at < ?`, now - limits.ttlMs);
    const seen = this.#sql.exec<Row>(`SELECT state, result, at FROM send_results WHERE idem_key = ?`, p.idempotencyKey).toArray()[0];
    if (seen?.state === 'done') return { ...(JSON.parse(String(seen.result)) as SendResult), deduplicated: true };
    if (seen?.state === 'in_flight' && now - Number(seen.at) < IN_FLIGHT_STALE_MS) return { runId: p.idempotencyKey, status: 'in_flight', channel, to: p.to };
    const n = Number(this.#sql.exec<Row>(`SELECT COALESCE(MAX(n), 0) + 1 AS n FROM send_results`).one().n);
    this.#sql.exec(`INSERT INTO send_results (idem_key, state, at, n) VALUES (?, 'in_flight', ?, ?) ON CONFLICT (idem_key) DO UPDATE SET state = 'in_flight', at = excluded.at`, p.idempotencyKey, now, n);
    this.#sql.exec(`DELETE FROM send_results WHERE n <= (SELECT n FROM send_results ORDER BY n DESC LIMIT 1 OFFSET ?)`, limits.cap);
    const target: ReplyTarget = {
      channel,
      account: p.accountId ?? 'default',
      chatId: p.to,
      ...(p.threadId ? { threadId: p.threadId } : {}),
      ...(p.replyToId ? { replyToMessageId: p.replyToId } : {}),
    };
    this.#outbox ??= new SqlOutboxStore(this.#sql);
    let report;
    try {
      const outbox = await outboxFor(this.#env, channel, this.#outbox);
      report = await outbox.deliver({ sessionKey: `send:${channel}`, runId: p.idempotencyKey, text: p.message, target });
    } catch (err) {
      this.#sql.exec(`DELETE FROM send_results WHERE idem_key = ?`, p.idempotencyKey);
      throw err;
    }
    if (report.status !== 'sent') {
      // Not recorded as done: a retry with the same key sends only the chunks that did not go out.
      this.#sql.exec(`DELETE FROM send_results WHERE idem_key = ?`, p.idempotencyKey);
      if (report.chunks === 0 && /^unknown .* account/.test(report.error ?? '')) {
        throw new GatewayError('INVALID_REQUEST', `invalid send params: accountId: ${report.error}`, { details: { code: 'UNKNOWN_ACCOUNT', channel } });
      }
      throw new GatewayError('UNAVAILABLE', `send to ${channel} failed: ${report.error ?? report.status}`, { retryable: true, details: { code: 'SEND_FAILED', channel, chunks: report.chunks, sent: report.sentNow + report.alreadySent } });
    }
    const result: SendResult = {
      runId: p.idempotencyKey,
      status: 'ok',
      channel,
      to: p.to,
      ...(report.messageIds[0] ? { messageId: report.messageIds[0] } : {}),
      messageIds: [...report.messageIds],
      chunks: report.chunks,
    };
    this.#sql.exec(`UPDATE send_results SET state = 'done', result = ? WHERE idem_key = ?`, JSON.stringify(result), p.idempotencyKey);
    return result;
  }
}
