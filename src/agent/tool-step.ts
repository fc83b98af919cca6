// One tool call inside a turn: defender check → (approval) → tool host → size cap → defender check of
// the result. Every path ends in exactly one `tool` message for the model, so history stays well-formed.
import { capResult } from '../tools/host.ts';
import type { ToolErrorCode, ToolHost, ToolOutcome } from '../tools/types.ts';
import type { ChatMessage, ToolCall } from '../providers/types.ts';
import type { AgentEvent, ApprovalPort, DefenderInput, DefenderPort, DefenderVerdict } from './types.ts';

/** What a tool step needs from the turn. */
export interface ToolStepDeps {
  tools: ToolHost | undefined;
  defender: DefenderPort | undefined;
  approval: ApprovalPort | undefined;
  maxResultBytes: number;
  signal: AbortSignal;
  emit: (e: AgentEvent) => void;
}

/** The `tool` message for a call that did not run (aborted, skipped by steering, refused). */
export function syntheticResult(call: ToolCall, code: ToolErrorCode, message: string): ChatMessage {
  return { role: 'tool', tool_call_id: call.id, content: encodeOutcome({ ok: false, error: { code, message } }) };
}

/** Text the model sees for an outcome: the content itself, or a small JSON error object. */
export function encodeOutcome(o: ToolOutcome): string {
  return o.ok ? o.content : JSON.stringify({ ok: false, error: o.error });
}

/** Runs one tool call through the defender and the host; never throws. */
export async function runToolStep(call: ToolCall, deps: ToolStepDeps): Promise<{ message: ChatMessage; outcome: ToolOutcome }> {
  const name = call.function.name;
  let args: unknown;
  try {
    args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch {
    return finish(call, deps, { ok: false, error: { code: 'invalid_arguments', message: `arguments of ${name} are not valid JSON` } });
  }
  deps.emit({ stream: 'tool', data: { phase: 'start', name, toolCallId: call.id, args } });

  const gate = await check(deps, { kind: 'tool_call', tool: name, args, callId: call.id });
  if (gate.decision === 'block') return finish(call, deps, refused('blocked', `blocked by policy: ${gate.reasons.join('; ') || 'no reason given'}`));
  if (gate.decision === 'review') {
    deps.emit({ stream: 'tool', data: { phase: 'review', name, toolCallId: call.id, args } });
    const answer = await ask(deps, { kind: 'tool_call', tool: name, callId: call.id, args, verdict: gate, signal: deps.signal });
    if (deps.signal.aborted) return finish(call, deps, refused('aborted', 'aborted while waiting for approval'));
    if (!answer.approved) return finish(call, deps, refused('denied', `not approved: ${(answer.reason ?? gate.reasons.join('; ')) || 'review required'}`));
  }

  let outcome: ToolOutcome = deps.tools
    ? await deps.tools.call(name, args, { signal: deps.signal, callId: call.id })
    : { ok: false, error: { code: 'unknown_tool', message: `unknown tool: ${name}` } };
  if (outcome.ok) {
    const capped = capResult(outcome.content, deps.maxResultBytes);
    if (capped.ok) outcome = { ...capped, truncated: !!(capped.truncated || outcome.truncated) };
    const scan = await check(deps, { kind: 'tool_result', tool: name, callId: call.id, content: outcome.content });
    let withhold = scan.decision === 'block';
    if (scan.decision === 'review') {
      const answer = await ask(deps, { kind: 'tool_result', tool: name, callId: call.id, verdict: scan, signal: deps.signal });
      withhold = !answer.approved;
    }
    if (withhold) outcome = refused('blocked', `tool result withheld by the defender: ${scan.reasons.join('; ') || 'no reason given'}`);
  }
  return finish(call, deps, outcome);
}

function refused(code: ToolErrorCode, message: string): ToolOutcome {
  return { ok: false, error: { code, message } };
}

function finish(call: ToolCall, deps: ToolStepDeps, outcome: ToolOutcome): { message: ChatMessage; outcome: ToolOutcome } {
  const content = encodeOutcome(outcome);
  deps.emit({ stream: 'tool', data: { phase: 'result', name: call.function.name, toolCallId: call.id, result: content, isError: !outcome.ok } });
  return { message: { role: 'tool', tool_call_id: call.id, content }, outcome };
}

async function check(deps: ToolStepDeps, input: DefenderInput): Promise<DefenderVerdict> {
  if (!deps.defender) return { decision: 'allow', score: 0, reasons: [] };
  try {
    return await deps.defender(input);
  } catch (err) {
    // Fail closed: a defender that cannot decide must not let the call through.
    return { decision: 'block', score: 100, reasons: [`defender failed: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

async function ask(deps: ToolStepDeps, req: Parameters<ApprovalPort>[0]): Promise<{ approved: boolean; reason?: string }> {
  if (!deps.approval) return { approved: false, reason: 'review required and no approver is configured' };
  try {
    return await deps.approval(req);
  } catch (err) {
    return { approved: false, reason: `approval failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
