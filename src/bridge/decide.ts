// Maps a Defender decision on an exec approval request to the answer the bridge gives OpenClaw.
import { evaluate } from '../defender/index.ts';
import type { Action, DefenderPolicy, Reason } from '../defender/index.ts';
import type { ApprovalDecision, ExecApprovalRequested } from './protocol.ts';

/** How `review` is handled: leave it to a human, or deny after a timeout. */
export type ReviewMode = 'wait' | 'deny';

/** The bridge's verdict on one approval request. */
export interface ApprovalVerdict {
  action: Action;
  score: number;
  reasons: Reason[];
  /** What to send now; `null` for review (a human decides, or a timer denies later). */
  resolve: ApprovalDecision | null;
}

/**
 * The resolve decision for a Defender action: allow → allow-once, block → deny, review → null.
 * @example resolutionFor('block') // 'deny'
 */
export function resolutionFor(action: Action): ApprovalDecision | null {
  if (action === 'allow') return 'allow-once';
  if (action === 'block') return 'deny';
  return null;
}

/** The command text to score: the display command, or the argv joined when the command is empty. */
export function commandText(req: ExecApprovalRequested['request']): string {
  if (req.command.trim()) return req.command;
  return (req.commandArgv ?? []).join(' ');
}

/**
 * Runs the Defender on an approval request's command (kind `command`) and picks the answer.
 * An allow is downgraded to deny when the gateway does not offer `allow-once` for this request.
 */
export function decideApproval(event: ExecApprovalRequested, policy: DefenderPolicy): ApprovalVerdict {
  const d = evaluate({ kind: 'command', text: commandText(event.request) }, policy);
  let resolve = resolutionFor(d.decision);
  const allowed = event.request.allowedDecisions;
  if (resolve === 'allow-once' && allowed && !allowed.includes('allow-once')) resolve = 'deny';
  return { action: d.decision, score: d.score, reasons: d.reasons, resolve };
}

/** A compact, log-safe form of the reasons (guard:rule, weight, detail up to 120 chars). */
export function summarizeReasons(reasons: readonly Reason[]): Array<{ rule: string; weight: number; detail?: string }> {
  return reasons.slice(0, 16).map((r) => ({ rule: `${r.guard}:${r.rule}`, weight: r.weight, ...(r.detail ? { detail: r.detail.slice(0, 120) } : {}) }));
}
