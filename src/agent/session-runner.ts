/**
 * The TurnRunner the SessionDO uses: one agent turn (src/agent/run-turn.ts) over the configured models,
 * the host's tools, the defender as the gate of every tool call and tool result, and operator approvals
 * for `review`. Progress goes to the gateway as `chat`/`agent` events; the end as `runFinished`.
 */
import type { Env } from '../env.ts';
import { WORKERS_CAPABILITIES } from '../env.ts';
import { settingsOf } from '../config/settings.ts';
import { evaluate, toolAllowed } from '../defender/index.ts';
import type { ToolContext } from '../defender/tool-policy.ts';
import { activePolicyFor } from '../defender/active-policy.ts';
import { mergeDecisions, reputationOf, virusTotalFor } from '../defender/reputation.ts';
import { recordDecision } from '../storage/repos/audit.ts';
import type { DefenderInput as EngineInput } from '../defender/types.ts';
import { createLogger } from '../log.ts';
import { createFallbackChain } from '../providers/fallback.ts';
import { resolvedModelsOf } from '../providers/env-models.ts';
import { parseModelRef, withOAuthTokens, type ResolvedModels } from '../providers/resolve.ts';
import { storedProviderKeys } from '../providers/stored-keys.ts';
import type { ChatMessage } from '../providers/types.ts';
import type { ApprovalRequest } from '../gateway/approvals.ts';
import type { TurnItem } from '../scheduler/types.ts';
import { recordOnlyTurnRunner, type TurnInput, type TurnResult as SchedulerResult, type TurnRunner } from '../scheduler/turn-runner.ts';
import { createToolHost, withAllowedTools } from '../tools/host.ts';
import { createCronTool, createMemoryTool, createMessageTool, createSessionsSendTool } from '../tools/agent-tools.ts';
import { controlHubOf } from '../gateway/control-hub.ts';
import { createWebFetchTool } from '../tools/web-fetch.ts';
import { runTurn } from './run-turn.ts';
import { gatePrompts, refusalText, verdictOf, type WithheldPrompt } from './prompt-gate.ts';
import type { OutboxSql } from '../channels/outbox.ts';
import { FAILURE_NOTICE, openChannelReply, type ChannelReply } from './channel-reply.ts';
import type { AgentEvent, ApprovalPort, DefenderInput, DefenderPort, DefenderVerdict } from './types.ts';

/** Pacing of streamed `chat` deltas (the reference paces live text at about 75 ms). */
const DELTA_PACING_MS = 75;
/** Events sent in one batch at most (a long run flushes early rather than growing the batch). */
const EVENT_BATCH_MAX = 64;
/** Longest summary of a reviewed action shown to approvers. */
const APPROVAL_SUMMARY_MAX = 500;

/** Defender port over the pure engine under the active policy bundle; `onDecision` sees every verdict. */
export function engineDefender(env: Env, onDecision?: (input: DefenderInput, verdict: DefenderVerdict) => void, toolContext: ToolContext = {}): DefenderPort {
  return async (input) => {
    const engineInput: EngineInput = input.kind === 'tool_call' ? { kind: 'tool_call', tool: input.tool, args: input.args, ...toolContext } : { kind: 'tool_result', text: input.content, tool: input.tool };
    let d = evaluate(engineInput, (await activePolicyFor(env)).policy);
    const vt = input.kind === 'tool_call' && d.decision !== 'block' ? virusTotalFor(env, { take: (now) => env.GATEWAY.getByName('main').vtTake(now) }) : null;
    if (vt && input.kind === 'tool_call') d = mergeDecisions(d, await reputationOf(vt, input.tool, input.args));
    // A watched file changed since start (Node host guard): nothing runs without an operator until restart.
    const tampered = input.kind === 'tool_call' ? env.HOST_INTEGRITY?.findings() ?? [] : [];
    if (tampered.length > 0) d = mergeDecisions(d, [{ decision: 'review', score: 0, reasons: tampered.map((r) => ({ ...r, weight: 0, floor: 'review' as const })) }]);
    const verdict = verdictOf(d);
    onDecision?.(input, verdict);
    return verdict;
  };
}

/** One decision as the audit and the `defender.decision` event see it. */
interface DecisionNote { kind: string; tool?: string; callId?: string; excerpt: string; verdict: DefenderVerdict }

/**
 * Decision sink: each decision goes to the `audit` table off the gate's path (awaited with the run's other
 * sends) and out as a `defender.decision` gateway event (operator.read) with the run's other events.
 */
function decisionSink(env: Env, sessionKey: string, runId: string, pending: Promise<unknown>[], broadcast: (event: string, payload: unknown) => void) {
  return ({ kind, tool, callId, excerpt, verdict: v }: DecisionNote) => {
    pending.push(recordDecision(env.DB, { kind, decision: v.decision, score: v.score, reasons: v.reasons, sessionKey, runId, ...(tool ? { tool } : {}), excerpt: excerpt.slice(0, 200) }).catch(() => undefined));
    broadcast('defender.decision', { sessionKey, runId, kind, tool, callId, decision: v.decision, score: v.score, reasons: v.reasons.slice(0, 8), ts: Date.now() });
  };
}

/** The tool gate's view of the sink. */
function auditDecisions(sink: (n: DecisionNote) => void) {
  return (i: DefenderInput, v: DefenderVerdict) =>
    sink({ kind: i.kind, tool: i.tool, callId: i.callId, excerpt: i.kind === 'tool_call' ? JSON.stringify(i.args ?? {}) ?? '' : i.content, verdict: v });
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

function summarize(tool: string, args: unknown): string {
  return clip(`${tool} ${JSON.stringify(args ?? {})}`, APPROVAL_SUMMARY_MAX);
}

/** Asks operators through GatewayDO: the request is announced and waited for (expiry = deny). */
async function askOperators(env: Env, req: ApprovalRequest, timeoutMs: number): Promise<{ approved: boolean; reason: string }> {
  const hub = env.GATEWAY.getByName('main');
  const approval = await hub.requestApproval(req, timeoutMs);
  if (!approval) return { approved: false, reason: 'too many pending approvals' };
  const final = await hub.waitApproval(approval.id, timeoutMs + 1_000);
  const approved = final?.status === 'allowed';
  return { approved, reason: approved ? `approved (${final?.decision})` : `not approved (${final?.status ?? 'unknown'})` };
}

const reasonRows = (v: DefenderVerdict) => v.reasons.map((r) => ({ guard: r.split(':')[0] ?? 'defender', rule: r.split(':')[1] ?? r, weight: 0 }));

/** Tool-call and tool-result approvals of a run. */
function gatewayApprovals(env: Env, sessionKey: string, runId: string, timeoutMs: number): ApprovalPort {
  return (req) => askOperators(env, { kind: req.kind, sessionKey, runId, summary: summarize(req.tool, req.args), score: req.verdict.score, reasons: reasonRows(req.verdict) }, timeoutMs);
}

/** Converts stored history rows into the model's conversation (`extra`: more content for a user row, by seq). */
function conversation(rows: readonly { role: string; text: string; seq?: number | null }[], systemPrompt: string, extra?: ReadonlyMap<number, string>, withheld?: ReadonlyMap<number, string>): ChatMessage[] {
  const out: ChatMessage[] = [{ role: 'system', content: systemPrompt }];
  for (const r of rows) {
    const more = r.seq != null ? extra?.get(r.seq) : undefined;
    const note = r.seq != null && r.role === 'user' ? withheld?.get(r.seq) : undefined;
    if (note) out.push({ role: 'user', content: note });
    else if (r.role === 'user') out.push({ role: 'user', content: more ? `${r.text}\n\n${more}` : r.text });
    else if (r.role === 'assistant') out.push({ role: 'assistant', content: r.text });
    else if (r.role === 'system' || r.role === 'summary') out.push({ role: 'user', content: `[context] ${r.text}` });
  }
  return out;
}

/** The tool-policy context of a turn: its channel (from the reply thread) and the session's chosen model. */
export function toolContextOf(input: Pick<TurnInput, 'items' | 'model'>): ToolContext {
  const thread = input.items.find((i) => i.thread)?.thread;
  const channel = thread && thread.includes(':') ? thread.slice(0, thread.indexOf(':')) : undefined;
  let model: { provider: string; model: string } | undefined;
  try {
    model = input.model ? parseModelRef(input.model) : undefined;
  } catch {
    model = undefined;
  }
  return { ...(channel ? { channel } : {}), ...(model ? { provider: model.provider, model: `${model.provider}/${model.model}` } : {}) };
}

/** Applies the gateway's OAuth tokens to providers that log in by device flow and have no key. */
async function withGatewayOAuth(env: Env, resolved: ResolvedModels): Promise<ResolvedModels> {
  const ids = [...resolved.providers.values()].filter((p) => p.oauth && !p.apiKey).map((p) => p.id);
  if (ids.length === 0) return resolved;
  const gateway = env.GATEWAY.getByName('main');
  const tokens: Record<string, { accessToken: string; resourceUrl?: string }> = {};
  for (const id of ids) {
    const t = await gateway.oauthAccessToken(id).catch(() => null);
    if (t) tokens[id] = t;
  }
  return withOAuthTokens(resolved, tokens);
}

/** Gateway run ids of a turn: the producers' idempotency keys (every item of a merged turn gets the final). */
function gatewayRunIds(input: TurnInput): string[] {
  return [...new Set(input.items.map((i) => i.key ?? input.runId))];
}

/**
 * The paused-agent runner: turns are only recorded, and the gateway is told each run finished (with no
 * reply), so `agent` callers and `agent.wait` still get their final answer.
 */
export function createRecordTurnRunner(env: Env): TurnRunner {
  return async (input) => {
    const startedAt = Date.now();
    const result = await recordOnlyTurnRunner(input);
    const gateway = env.GATEWAY.getByName('main');
    for (const runId of gatewayRunIds(input)) {
      await gateway.runFinished({ runId, sessionKey: input.sessionKey, status: input.signal.aborted ? 'aborted' : 'ok', text: '', startedAt }).catch(() => undefined);
    }
    return result;
  };
}

/** Creates the runner for one SessionDO (`outboxSql`: the object's SQLite, for exactly-once channel replies). */
export function createAgentTurnRunner(env: Env, deps: { outboxSql?: OutboxSql } = {}): TurnRunner {
  return async (input: TurnInput): Promise<SchedulerResult> => {
    const settings = settingsOf(env);
    const log = createLogger(settings.logLevel, { session: input.sessionKey });
    const gateway = env.GATEWAY.getByName('main');
    // Gateway run ids are the producers' idempotency keys; every item of a merged turn gets the final.
    const runIds = gatewayRunIds(input);
    const runId = runIds[0] ?? input.runId;
    const startedAt = Date.now();
    let seq = 0;
    let pending = '';
    let full = '';
    let flushTimer: ReturnType<typeof setTimeout> | null = null;
    const sends: Promise<unknown>[] = [];
    // Events go to the one GatewayDO in batches (one RPC per pacing window), not one call per event:
    // that object fans out every run's events, so per-event calls would make it the bottleneck.
    let batch: { event: string; payload: unknown }[] = [];
    const sendBatch = () => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      sends.push(gateway.broadcastBatch(events).catch(() => undefined));
    };
    const broadcast = (event: string, payload: unknown) => {
      batch.push({ event, payload });
      if (batch.length >= EVENT_BATCH_MAX) sendBatch();
      flushTimer ??= setTimeout(flush, DELTA_PACING_MS);
    };
    const flush = () => {
      flushTimer = null;
      emitDelta();
      sendBatch();
    };
    const emitDelta = () => {
      if (!pending) return;
      const deltaText = pending;
      pending = '';
      batch.push({ event: 'chat', payload: { runId, sessionKey: input.sessionKey, seq: ++seq, state: 'delta', deltaText, message: { role: 'assistant', content: [{ type: 'text', text: full }], timestamp: Date.now() } } });
    };
    const onEvent = (e: AgentEvent) => {
      if (e.stream === 'assistant') {
        if (e.data.replace) {
          emitDelta();
          full = e.data.text;
          channel?.update(full);
          broadcast('chat', { runId, sessionKey: input.sessionKey, seq: ++seq, state: 'delta', deltaText: full, replace: true, message: { role: 'assistant', content: [{ type: 'text', text: full }], timestamp: Date.now() } });
          return;
        }
        full = e.data.text;
        pending += e.data.delta;
        channel?.update(full);
      }
      broadcast('agent', { runId, sessionKey: input.sessionKey, seq: ++seq, stream: e.stream, ts: Date.now(), data: e.data });
    };

    // Keys set at run time (`/set api key`) win over config and env; OAuth logins fill providers with no key.
    const stored = await storedProviderKeys(env.DB).catch(() => ({}));
    const resolved = await withGatewayOAuth(env, resolvedModelsOf(env, stored));
    const chain = createFallbackChain(resolved, {
      ...(input.model ? { primary: parseModelRef(input.model) } : {}),
      ...(env.PROVIDER_FETCHER ? { clientOptions: { fetch: (req: Request | string | URL, init?: RequestInit) => env.PROVIDER_FETCHER!.fetch(req, init) } } : {}),
    });
    const caps = env.CAPABILITIES ?? WORKERS_CAPABILITIES;
    const egress = env.TOOL_FETCHER;
    // The model is offered only the tools the active policy allows here (profile, provider and channel overlays).
    const toolContext = toolContextOf(input);
    const activePolicy = (await activePolicyFor(env)).policy;
    const toolPolicy = activePolicy.tools;
    const agentId = input.sessionKey.startsWith('agent:') ? (input.sessionKey.split(':')[1] ?? 'main') : 'main';
    const control = controlHubOf(() => gateway);
    const agentTools = [
      createMessageTool({ runId, port: { send: (p) => control.sendMessage(p) } }),
      createCronTool({
        sessionKey: input.sessionKey,
        agentId,
        port: {
          add: (spec) => control.cronAdd(spec),
          list: async () => (await control.cronList({ includeDisabled: true, limit: 500, offset: 0 })).jobs,
          remove: (id) => control.cronRemove(id),
        },
      }),
      createSessionsSendTool({ from: input.sessionKey, runId, port: { enqueue: (key, item) => env.SESSIONS.getByName(key).enqueue(key, item) } }),
      createMemoryTool({
        agentId,
        port: {
          get: (a, k) => gateway.memoryGet(a, k),
          set: (a, k, v) => gateway.memorySet(a, k, v),
          delete: (a, k) => gateway.memoryDelete(a, k),
          list: (a) => gateway.memoryList(a),
        },
      }),
    ];
    const tools = withAllowedTools(
      createToolHost({ tools: [...((await env.TOOLS?.()) ?? [createWebFetchTool(egress ? { fetch: (url, init) => egress.fetch(url, init) } : {})]), ...agentTools], capabilities: caps }),
      (name) => toolAllowed(name, toolPolicy, toolContext).allowed,
    );
    let status: 'ok' | 'error' | 'aborted' = 'error';
    let text = '';
    let error: string | undefined;
    let usage: { model: string; inputTokens: number; outputTokens: number } | undefined;
    // The channel reply (typing, streaming draft, final or failure notice) of turns that came from a channel.
    const channel: ChannelReply | null = deps.outboxSql ? openChannelReply(env, deps.outboxSql, input, runId) : null;
    let ended = false;
    const sink = decisionSink(env, input.sessionKey, runId, sends, broadcast);
    const withheld: WithheldPrompt[] = [];
    const withheldRows = () => withheld.flatMap((w) => (w.seq === null ? [] : [{ seq: w.seq, note: w.note }]));
    // The prompt gate: each user message is scored before the model sees it (review waits for an operator).
    const gate = async (items: readonly TurnItem[]) => {
      const g = await gatePrompts(items, {
        policy: activePolicy,
        onDecision: (item, verdict) => sink({ kind: 'prompt', excerpt: item.text, verdict }),
        approve: async (item, v) =>
          (await askOperators(env, { kind: 'prompt', sessionKey: input.sessionKey, runId, summary: clip(item.text, APPROVAL_SUMMARY_MAX), score: v.score, reasons: reasonRows(v) }, settings.agent.approvalTimeoutMs)).approved,
      });
      withheld.push(...g.withheld);
      return g.allowed;
    };
    try {
      const allowed = await gate(input.items);
      if (withheld.length > 0 && allowed.every((i) => i.synthetic)) {
        // Nothing of the sender's reached the agent: they are told so, and the model is never called.
        status = 'ok';
        text = refusalText(withheld);
        if (channel) {
          ended = true;
          await channel.finish(text).catch((err: unknown) => log.warn('reply delivery failed', { runId, err }));
        }
        return { messages: [{ role: 'assistant', text }], withheld: withheldRows() };
      }
      const extra = channel ? await channel.context(allowed).catch(() => undefined) : undefined;
      const hidden = new Map(withheldRows().map((w) => [w.seq, w.note]));
      const result = await runTurn({
        chain,
        messages: conversation(input.context(settings.agent.contextMessages), settings.agent.systemPrompt, extra, hidden),
        tools,
        defender: engineDefender(env, auditDecisions(sink), toolContext),
        approval: gatewayApprovals(env, input.sessionKey, runId, settings.agent.approvalTimeoutMs),
        // Steering rows are already in history (the scheduler recorded them); the model sees them now.
        steering: async () => {
          const items = await input.steering();
          // Steered messages are answered by this run: their producers get its final too.
          for (const i of items) if (i.key && !runIds.includes(i.key)) runIds.push(i.key);
          return (await gate(items)).map((i): ChatMessage => ({ role: 'user', content: i.text }));
        },
        maxSteps: settings.agent.maxSteps,
        signal: input.signal,
        onEvent,
      });
      status = result.status === 'aborted' ? 'aborted' : result.status === 'error' ? 'error' : 'ok';
      text = result.text;
      error = result.error?.message;
      if (result.usage) usage = { model: result.model ? `${result.provider}/${result.model}` : 'unknown', inputTokens: result.usage.promptTokens, outputTokens: result.usage.completionTokens };
      if (result.status === 'error') log.warn('agent turn failed', { runId, error: result.error?.message, attempts: result.attempts.length });
      if (channel) {
        ended = true;
        const end = input.signal.aborted || status === 'aborted' ? channel.abort() : status === 'error' ? channel.fail(FAILURE_NOTICE) : text.trim() ? channel.finish(text) : channel.abort();
        await end.catch((err: unknown) => log.warn('reply delivery failed', { runId, err }));
      }
      return {
        messages: result.messages.flatMap((m): { role: 'assistant' | 'tool'; text: string }[] =>
          m.role === 'assistant' && m.content ? [{ role: 'assistant', text: m.content }] : m.role === 'tool' ? [{ role: 'tool', text: m.content }] : [],
        ),
        ...(result.usage ? { usage: { inputTokens: result.usage.promptTokens, outputTokens: result.usage.completionTokens } } : {}),
        ...(withheld.length > 0 ? { withheld: withheldRows() } : {}),
      };
    } catch (err) {
      // The runner itself failed (not the model): the user still hears about it, once.
      if (channel && !ended && !input.signal.aborted) await channel.fail(FAILURE_NOTICE).catch(() => undefined);
      throw err;
    } finally {
      channel?.stop();
      if (flushTimer) clearTimeout(flushTimer);
      emitDelta();
      // The last events ride along with the first runFinished call: one RPC for the end of the run.
      const tail = batch;
      batch = [];
      await Promise.all(sends);
      for (const [i, id] of runIds.entries()) {
        await gateway
          .runFinished({ runId: id, sessionKey: input.sessionKey, status: input.signal.aborted ? 'aborted' : status, text, ...(error ? { error } : {}), startedAt, ...(i === 0 && tail.length > 0 ? { events: tail } : {}), ...(i === 0 && usage ? { usage } : {}) })
          .catch((err: unknown) => log.warn('gateway notification failed', { runId: id, err }));
      }
    }
  };
}
