// What the bridge's handlers (approvals, observed actions) share: the connection's request, the policy,
// the status they count into, the dedupe set, and the one place a decision is recorded.
import type { DefenderPolicy } from '../defender/index.ts';
import type { Logger } from '../log.ts';
import type { DecidedIds } from './decided-ids.ts';
import type { BridgeAuditRecord, BridgeStatus } from './status.ts';

/** Shared state of one bridge, handed to its handlers. */
export interface BridgeContext {
  /** A request on the current connection (rejects with "not connected" / "connection closed" when down). */
  request(method: string, params: unknown): Promise<unknown>;
  policy: DefenderPolicy;
  log: Logger;
  status: BridgeStatus;
  decided: DecidedIds;
  /** Counts, logs, audits and publishes one finished decision. */
  record(r: BridgeAuditRecord): void;
  /** Publishes the status after a counter changed. */
  publish(): void;
}

/**
 * True for the errors a dropped connection gives pending requests.
 * @example isDisconnect(new Error('connection closed')) // true
 */
export function isDisconnect(err: unknown): boolean {
  return err instanceof Error && /connection closed|not connected/.test(err.message);
}
