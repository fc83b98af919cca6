// Ports and values of one agent turn: the defender and approval ports, run events, and the turn result.
import type { Attempt } from '../providers/fallback.ts';
import type { ChatMessage, Usage } from '../providers/types.ts';

/** A defender decision (DESIGN.md: allow → run; review → approval; block → error result to the model). */
export type DefenderDecision = 'allow' | 'review' | 'block';

/** What the defender returns for one input. */
export interface DefenderVerdict {
  decision: DefenderDecision;
  score: number;
  reasons: string[];
}

/** What the agent asks the defender about: a tool call before it runs, a tool result before the model sees it. */
export type DefenderInput =
  | { kind: 'tool_call'; tool: string; args: unknown; callId: string }
  | { kind: 'tool_result'; tool: string; callId: string; content: string };

/** The defender port (implemented in src/defender/ by its owner). A throw counts as block: fail closed. */
export type DefenderPort = (input: DefenderInput) => Promise<DefenderVerdict>;

/** A review the operator (or a policy) must resolve; it may wait, and must settle when `signal` aborts. */
export interface ApprovalRequest {
  kind: 'tool_call' | 'tool_result';
  tool: string;
  callId: string;
  args?: unknown;
  verdict: DefenderVerdict;
  signal: AbortSignal;
}

/** The approval port: resolves with the decision. Absent port = every review is denied. */
export type ApprovalPort = (req: ApprovalRequest) => Promise<{ approved: boolean; reason?: string }>;

/** Events of a run, shaped like the protocol's `agent` event `{stream, data}` (the session adds runId/seq/ts). */
export type AgentEvent =
  | { stream: 'lifecycle'; data: { phase: 'start' | 'end' | 'error'; stopReason?: TurnStatus; error?: string } }
  | { stream: 'assistant'; data: { text: string; delta: string; step: number; replace?: boolean } }
  | { stream: 'tool'; data: { phase: 'start' | 'review' | 'result'; name: string; toolCallId: string; args?: unknown; result?: string; isError?: boolean } }
  | { stream: 'run_status'; data: { phase: 'model_call' | 'fallback'; step: number; provider?: string; model?: string; reason?: string } };

/** How a turn ended. */
export type TurnStatus = 'completed' | 'max_steps' | 'aborted' | 'error';

/** A provider attempt tagged with the loop step it belongs to. */
export type StepAttempt = Attempt & { step: number };

/** The outcome of one turn (a value; only programming errors throw). */
export interface TurnResult {
  status: TurnStatus;
  /** The final assistant text (on max_steps/aborted: the last text produced, possibly partial). */
  text: string;
  /** Messages to append to history, in order: steering, assistant, tool results. */
  messages: ChatMessage[];
  usage?: Usage;
  attempts: StepAttempt[];
  steps: number;
  toolCalls: number;
  provider?: string;
  model?: string;
  error?: { kind: 'timeout' | 'rate_limit' | 'context_length' | 'unknown'; message: string };
}
