// Exec approvals: runs the Defender on every `exec.approval.requested` and answers it (allow → allow-once,
// block → deny, review → a human, or deny after a timeout), exactly once per approval id.
import { isDisconnect, type BridgeContext } from './context.ts';
import { decideApproval, summarizeReasons, type ApprovalVerdict, type ReviewMode } from './decide.ts';
import { ExecApprovalRequestedSchema, ExecApprovalResolvedSchema, type ApprovalDecision, type ExecApprovalRequested } from './protocol.ts';
import { countVerdict, type BridgeAuditRecord } from './status.ts';

/** Reviews waiting for a human or their timeout at once; beyond this a review is left to a human without a timer. */
const MAX_REVIEWS = 1024;
/** Pending approvals decided per catch-up list. */
const MAX_CATCH_UP = 1000;

/** The approval side of a bridge. */
export interface ApprovalHandler {
  onRequested(payload: unknown): void;
  onResolved(payload: unknown): void;
  /** Decides approvals that were requested while the bridge was away (after each hello). */
  catchUp(): Promise<void>;
  stop(): void;
}

/**
 * Creates the approval handler of a bridge.
 * @example const approvals = createApprovalHandler(ctx, { mode: 'deny', timeoutMs: 60_000 }); approvals.onRequested(payload)
 */
export function createApprovalHandler(ctx: BridgeContext, review: { mode: ReviewMode; timeoutMs: number }): ApprovalHandler {
  const inFlight = new Set<string>();
  const reviews = new Map<string, { timer: ReturnType<typeof setTimeout>; event: ExecApprovalRequested; verdict: ApprovalVerdict }>();

  function record(event: ExecApprovalRequested, verdict: ApprovalVerdict, resolution: ApprovalDecision | null, outcome: BridgeAuditRecord['outcome'], extra: Partial<BridgeAuditRecord> = {}): void {
    const command = event.request.command.slice(0, 1000);
    ctx.decided.add(event.id);
    ctx.record({
      ts: new Date().toISOString(), kind: 'exec.approval', id: event.id, sessionKey: event.request.sessionKey ?? null, summary: command,
      action: verdict.action, score: verdict.score, reasons: summarizeReasons(verdict.reasons), outcome,
      approvalId: event.id, command, agentId: event.request.agentId ?? null, host: event.request.host ?? null, resolution, ...extra,
    });
  }

  function send(event: ExecApprovalRequested, verdict: ApprovalVerdict, decision: ApprovalDecision, extra: Partial<BridgeAuditRecord> = {}): void {
    inFlight.add(event.id);
    ctx.request('exec.approval.resolve', { id: event.id, decision }).then(
      () => {
        inFlight.delete(event.id);
        record(event, verdict, decision, 'resolved', extra);
      },
      (err: Error) => {
        inFlight.delete(event.id);
        // Lost connection: not decided yet; the redelivered request (or the catch-up list) decides it again.
        if (isDisconnect(err)) return void ctx.log.warn('bridge resolve interrupted', { approvalId: event.id });
        record(event, verdict, decision, 'error', { ...extra, error: err.message.slice(0, 300) });
      },
    );
  }

  function onRequested(payload: unknown): void {
    const parsed = ExecApprovalRequestedSchema.safeParse(payload);
    if (!parsed.success) {
      ctx.status.counters.badFrames++;
      ctx.log.warn('bridge skipped an approval request it does not understand', { issue: parsed.error.issues[0]?.message });
      return ctx.publish();
    }
    const event = parsed.data;
    if (ctx.decided.has(event.id) || inFlight.has(event.id) || reviews.has(event.id)) {
      ctx.status.counters.duplicates++;
      return ctx.publish();
    }
    const verdict = decideApproval(event, ctx.policy);
    countVerdict(ctx.status, 'exec.approval', verdict.action);
    if (verdict.resolve) return send(event, verdict, verdict.resolve);
    if (review.mode === 'wait' || reviews.size >= MAX_REVIEWS) return record(event, verdict, null, 'left-to-human');
    const left = event.expiresAtMs ? event.expiresAtMs - Date.now() - 250 : review.timeoutMs;
    const delay = Math.max(0, Math.min(review.timeoutMs, left));
    const timer = setTimeout(() => {
      reviews.delete(event.id);
      send(event, verdict, 'deny', { reasons: [...summarizeReasons(verdict.reasons), { rule: 'bridge:review_timeout', weight: 0 }] });
    }, delay);
    reviews.set(event.id, { timer, event, verdict });
    ctx.log.info('bridge review pending', { approvalId: event.id, denyInMs: delay });
    ctx.publish();
  }

  function onResolved(payload: unknown): void {
    const parsed = ExecApprovalResolvedSchema.safeParse(payload);
    if (!parsed.success) return;
    const pending = reviews.get(parsed.data.id);
    if (!pending) return;
    clearTimeout(pending.timer);
    reviews.delete(parsed.data.id);
    const d = parsed.data.decision;
    const resolution = d === 'allow-once' || d === 'allow-always' || d === 'deny' ? d : null;
    record(pending.event, pending.verdict, resolution, 'resolved-by-other', parsed.data.resolvedBy ? { resolvedBy: parsed.data.resolvedBy } : {});
  }

  async function catchUp(): Promise<void> {
    try {
      const list = await ctx.request('exec.approval.list', {});
      if (Array.isArray(list)) for (const item of list.slice(0, MAX_CATCH_UP)) onRequested(item);
    } catch (err) {
      ctx.log.warn('bridge could not list pending approvals', { err: String(err) });
    }
  }

  return {
    onRequested,
    onResolved,
    catchUp,
    stop() {
      for (const r of reviews.values()) clearTimeout(r.timer);
      reviews.clear();
    },
  };
}
