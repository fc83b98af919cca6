/**
 * The prompt gate (DESIGN.md, Flow step 6: "the prompt is scored"): every user message of a turn is scored
 * by the defender before the model sees it. allow → it goes to the model; review → an operator approves it
 * first (expiry or deny withholds it); block → it is withheld. A withheld message never reaches the model,
 * in this turn or a later one: its history row is replaced by a short note (the audit keeps an excerpt).
 */
import { evaluate, type DefenderPolicy } from '../defender/index.ts';
import type { TurnItem } from '../scheduler/types.ts';
import type { DefenderVerdict } from './types.ts';

/** Longest message text scored (the prompt guard clips longer input itself; this bounds the copy). */
const MAX_SCORED_CHARS = 64_000;

/**
 * The agent's view of an engine decision: reasons as `guard:rule` strings.
 * @example verdictOf(evaluate({ kind: 'prompt', text: 'hi' })).decision === 'allow'
 */
export function verdictOf(d: { decision: DefenderVerdict['decision']; score: number; reasons: readonly { guard: string; rule: string }[] }): DefenderVerdict {
  return { decision: d.decision, score: d.score, reasons: d.reasons.map((r) => `${r.guard}:${r.rule}`) };
}

/** What the gate needs from its host. */
export interface PromptGateDeps {
  /** The active defender policy. */
  policy: DefenderPolicy;
  /** Sees every verdict (audit row + `defender.decision` event). */
  onDecision(item: TurnItem, verdict: DefenderVerdict): void;
  /** Asks an operator about a `review`; true when approved. */
  approve(item: TurnItem, verdict: DefenderVerdict): Promise<boolean>;
}

/** One withheld message: its seq (null for an item with no history row) and the note that replaces it. */
export interface WithheldPrompt {
  seq: number | null;
  note: string;
  decision: 'review' | 'block';
  reasons: string[];
}

/** The gate's outcome for a turn's items. */
export interface PromptGateResult {
  /** Items the model may see, in order. */
  allowed: TurnItem[];
  withheld: WithheldPrompt[];
}

/**
 * The history note that replaces a withheld message.
 * @example withheldNote('block', ['prompt_guard:override.ignore_previous']) // '[message withheld by the defender: block (prompt_guard:override.ignore_previous)]'
 */
export function withheldNote(decision: 'review' | 'block', reasons: readonly string[]): string {
  const why = reasons.slice(0, 3).join(', ');
  return `[message withheld by the defender: ${decision === 'block' ? 'block' : 'review not approved'}${why ? ` (${why})` : ''}]`;
}

/**
 * What the sender is told when none of their messages reached the agent.
 * @example refusalText([{ seq: 1, note: '', decision: 'block', reasons: ['prompt_guard:x'] }]).startsWith('Your message was not passed')
 */
export function refusalText(withheld: readonly WithheldPrompt[]): string {
  const blocked = withheld.some((w) => w.decision === 'block');
  const reasons = [...new Set(withheld.flatMap((w) => w.reasons))].slice(0, 3).join(', ');
  return blocked
    ? `Your message was not passed to the agent: the defender blocked it${reasons ? ` (${reasons})` : ''}.`
    : `Your message was not passed to the agent: it was held for review and not approved${reasons ? ` (${reasons})` : ''}.`;
}

/**
 * Scores each non-synthetic item of a turn (synthetic items are our own summaries) and splits them into
 * allowed and withheld. Reviews are asked one at a time, in order.
 * @example const { allowed } = await gatePrompts(items, { policy, onDecision: () => {}, approve: async () => false })
 */
export async function gatePrompts(items: readonly TurnItem[], deps: PromptGateDeps): Promise<PromptGateResult> {
  const out: PromptGateResult = { allowed: [], withheld: [] };
  for (const item of items) {
    if (item.synthetic || !item.text.trim()) {
      out.allowed.push(item);
      continue;
    }
    const verdict = verdictOf(evaluate({ kind: 'prompt', text: item.text.slice(0, MAX_SCORED_CHARS) }, deps.policy));
    deps.onDecision(item, verdict);
    if (verdict.decision === 'allow' || (verdict.decision === 'review' && (await deps.approve(item, verdict)))) {
      out.allowed.push(item);
      continue;
    }
    const decision = verdict.decision === 'block' ? 'block' : 'review';
    out.withheld.push({ seq: item.seq, note: withheldNote(decision, verdict.reasons), decision, reasons: verdict.reasons });
  }
  return out;
}
