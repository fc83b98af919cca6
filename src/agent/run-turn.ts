// The tool loop of one turn, as a function over ports: model (a fallback chain or one client) → tool
// calls → defender → tool host → results → model, until a final answer, the step cap, or abort.
// Steering messages are drained before every model call and at every tool boundary.
import { errorKindOf, describeFailure, isAbortError } from '../providers/errors.ts';
import { FallbackChain, FallbackExhaustedError, type ChainResult } from '../providers/fallback.ts';
import { addUsage, type ChatCompleter, type ChatMessage, type Usage } from '../providers/types.ts';
import type { ToolHost } from '../tools/types.ts';
import { runToolStep, syntheticResult } from './tool-step.ts';
import type { AgentEvent, ApprovalPort, DefenderPort, StepAttempt, TurnResult, TurnStatus } from './types.ts';

/** Hard ceiling for `maxSteps`, whatever the config says. */
export const MAX_STEPS_CEILING = 64;

/** Inputs of one turn. Give either `chain`, or `client` + `model`. */
export interface RunTurnOptions {
  chain?: Pick<FallbackChain, 'complete'>;
  client?: ChatCompleter;
  model?: string;
  /** The conversation so far (system prompt first); not modified. */
  messages: readonly ChatMessage[];
  tools?: ToolHost;
  defender?: DefenderPort;
  approval?: ApprovalPort;
  /** Returns (and removes) messages that arrived while the turn ran. */
  steering?: () => ChatMessage[] | Promise<ChatMessage[]>;
  /** Model calls per turn. Default 8, at most MAX_STEPS_CEILING. */
  maxSteps?: number;
  /** Largest tool result sent back to the model, in UTF-8 bytes. Default 32 KiB. */
  maxToolResultBytes?: number;
  signal?: AbortSignal;
  onEvent?: (event: AgentEvent) => void;
}

/**
 * Runs one agent turn and reports how it ended; provider failures and aborts are values, not throws.
 * @example const r = await runTurn({ chain, messages, tools, defender, signal, onEvent });
 */
export async function runTurn(opts: RunTurnOptions): Promise<TurnResult> {
  const chain = opts.chain ?? singleModel(opts);
  const maxSteps = Math.min(Math.max(1, Math.floor(opts.maxSteps ?? 8)), MAX_STEPS_CEILING);
  const signal = opts.signal ?? new AbortController().signal;
  const emit = (e: AgentEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // An observer's failure must not break the run.
    }
  };
  const specs = opts.tools?.list() ?? [];
  const appended: ChatMessage[] = [];
  const attempts: StepAttempt[] = [];
  let usage: Usage | undefined;
  let lastText = '';
  let toolCalls = 0;
  let pendingSteer: ChatMessage[] = [];
  let answered: Pick<ChainResult, 'provider' | 'model'> | undefined;
  let step = 0;

  const drainSteering = async (): Promise<ChatMessage[]> => {
    try {
      return (await opts.steering?.()) ?? [];
    } catch {
      return [];
    }
  };
  const done = (status: TurnStatus, error?: TurnResult['error']): TurnResult => {
    emit({ stream: 'lifecycle', data: status === 'error' ? { phase: 'error', stopReason: status, error: error?.message ?? 'error' } : { phase: 'end', stopReason: status } });
    return {
      status,
      text: lastText,
      messages: appended,
      ...(usage ? { usage } : {}),
      attempts,
      steps: step,
      toolCalls,
      ...(answered ? { provider: answered.provider, model: answered.model } : {}),
      ...(error ? { error } : {}),
    };
  };

  emit({ stream: 'lifecycle', data: { phase: 'start' } });
  for (step = 1; step <= maxSteps; step++) {
    if (signal.aborted) return done('aborted');
    appended.push(...pendingSteer, ...(await drainSteering()));
    pendingSteer = [];

    let stepText = '';
    let replace = false;
    emit({ stream: 'run_status', data: { phase: 'model_call', step } });
    let res: ChainResult;
    try {
      res = await chain.complete(
        { messages: [...opts.messages, ...appended], ...(specs.length > 0 ? { tools: specs } : {}) },
        {
          signal,
          onDelta: (d) => {
            if (d.type !== 'text') return;
            stepText += d.text;
            lastText = stepText;
            emit({ stream: 'assistant', data: { text: stepText, delta: d.text, step, ...(replace ? { replace: true } : {}) } });
            replace = false;
          },
          onFallback: (next, failed) => {
            // Text streamed by the failed candidate is void: the next delta replaces it.
            if (stepText !== '') replace = true;
            stepText = '';
            emit({ stream: 'run_status', data: { phase: 'fallback', step, provider: next.provider, model: next.model, reason: failed.error?.message ?? 'failed' } });
          },
        },
      );
    } catch (err) {
      if (err instanceof FallbackExhaustedError) attempts.push(...err.attempts.map((a) => ({ ...a, step })));
      if (isAbortError(err, signal)) return done('aborted');
      const cause = err instanceof FallbackExhaustedError ? err.cause : err;
      return done('error', { kind: errorKindOf(cause), message: describeFailure(cause).message });
    }
    attempts.push(...res.attempts.map((a) => ({ ...a, step })));
    answered = { provider: res.provider, model: res.model };
    usage = addUsage(usage, res.result.usage);
    const { text, toolCalls: calls } = res.result;
    if (text !== '') lastText = text;
    appended.push(calls.length > 0 ? { role: 'assistant', content: text === '' ? null : text, tool_calls: calls } : { role: 'assistant', content: text });
    if (calls.length === 0) return done('completed');

    for (const call of calls) {
      if (signal.aborted) {
        appended.push(syntheticResult(call, 'aborted', 'not run: the turn was aborted'));
        continue;
      }
      if (pendingSteer.length === 0) pendingSteer = await drainSteering();
      if (pendingSteer.length > 0) {
        appended.push(syntheticResult(call, 'skipped', 'not run: the user sent a new message first'));
        continue;
      }
      toolCalls++;
      const { message } = await runToolStep(call, {
        tools: opts.tools,
        defender: opts.defender,
        approval: opts.approval,
        maxResultBytes: opts.maxToolResultBytes ?? 32 * 1024,
        signal,
        emit,
      });
      appended.push(message);
    }
    if (signal.aborted) return done('aborted');
  }
  step = maxSteps;
  // Steering that arrived during the last tool batch still belongs in history.
  appended.push(...pendingSteer);
  return done('max_steps');
}

function singleModel(opts: RunTurnOptions): FallbackChain {
  if (!opts.client || !opts.model) throw new Error('runTurn needs either `chain`, or `client` and `model`');
  return new FallbackChain([{ provider: 'default', model: opts.model, client: opts.client }]);
}
