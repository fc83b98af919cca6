/**
 * The reply path of the session runner: find the driver of the turn's reply target through the registry,
 * refuse a logged-out account, deliver through the driver's outbox (each chunk once per reply key), and
 * record the outcome for channels.status.
 */
import type { Env } from '../env.ts';
import { isAccountStopped, noteAccountEvent } from './account-state.ts';
import { failedReport } from './chunk-outbox.ts';
import type { DeliveryReport } from './envelope.ts';
import type { OutboxStore } from './outbox.ts';
import { resolveReplyTarget } from './registry.ts';

/** One agent reply to deliver. */
export interface ChannelReply {
  readonly sessionKey: string;
  readonly runId: string;
  /** Markdown text of the reply. */
  readonly text: string;
  /** The session item's `thread`: the reply target in text form. */
  readonly thread: string;
}

/**
 * Delivers `reply` to its channel; null when the thread is not a channel target (gateway-only turns).
 * @example await deliverChannelReply(env, new SqlOutboxStore(ctx.storage.sql), { sessionKey, runId, text, thread })
 */
export async function deliverChannelReply(env: Env, store: OutboxStore, reply: ChannelReply, now: () => number = Date.now): Promise<DeliveryReport | null> {
  const found = resolveReplyTarget(reply.thread);
  if (!found) return null;
  const { driver, target } = found;
  const info = driver.accounts(env).find((a) => a.id === target.account);
  if (!info) return failedReport(`unknown ${driver.id} account "${target.account}"`);
  if (await isAccountStopped(env, driver.id, info)) return failedReport(`${driver.id} account "${info.id}" is logged out`);
  const outbox = await driver.outbox(env, store);
  const report = await outbox.deliver({ sessionKey: reply.sessionKey, runId: reply.runId, text: reply.text, target });
  await noteAccountEvent(env, driver.id, info.id, report.status === 'sent' ? { kind: 'outbound', at: now() } : { kind: 'error', at: now(), error: report.error ?? report.status });
  return report;
}
