// The defender engine: evaluate(input, policy) -> { decision, score, reasons }. Pure and deterministic
// (the only state, the tool-loop window, is passed in by the caller), so both runtimes and the agent
// loop, gateway and CLI call the same function.
import { scanCommand } from './command-guard.ts';
import { pathRules } from './host-guard.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { scanPrompt } from './prompt-guard.ts';
import { checkLoop, type LoopState } from './tool-loop.ts';
import { normalizeToolName, toolAllowed } from './tool-policy.ts';
import type { Action, Decision, DefenderInput, DefenderPolicy, Reason } from './types.ts';

/** Extra context for an evaluation: the loop window of the current run, if loop detection applies. */
export interface EvaluateContext { loop?: LoopState }

const RANK: Record<Action, number> = { allow: 0, review: 1, block: 2 };
const SHELL_TOOLS = new Set(['exec', 'process', 'code_execution']);
const FILE_TOOLS: Record<string, 'read' | 'write'> = { read: 'read', write: 'write', edit: 'write', apply_patch: 'write' };
const KEY_MATERIAL = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----|aws_secret_access_key\s*[:=]/i;

function secretMaterial(text: string): Reason[] {
  return KEY_MATERIAL.test(text) ? [{ guard: 'engine', rule: 'secret.key_material', weight: 40, floor: 'review' }] : [];
}

/** URL checks: dangerous schemes, embedded credentials, metadata/loopback hosts, data in the query. */
export function scanUrl(raw: string): Reason[] {
  const out: Reason[] = [];
  const G = 'prompt_guard' as const;
  let u: URL;
  try { u = new URL(raw.trim()); } catch { return [{ guard: G, rule: 'url.unparseable', weight: 20, floor: 'review' }]; }
  if (/^(?:javascript|data|vbscript|file):$/.test(u.protocol)) out.push({ guard: G, rule: 'url.dangerous_scheme', weight: 50, detail: u.protocol });
  else if (!/^https?:$/.test(u.protocol)) out.push({ guard: G, rule: 'url.unusual_scheme', weight: 20, detail: u.protocol });
  if (u.username || u.password) out.push({ guard: G, rule: 'url.embedded_credentials', weight: 30 });
  const h = u.hostname.toLowerCase();
  if (h === '169.254.169.254' || h === 'metadata.google.internal' || h === '[fd00:ec2::254]') out.push({ guard: G, rule: 'url.cloud_metadata', weight: 70 });
  else if (h === 'localhost' || /^127\./.test(h) || h === '[::1]' || h === '0.0.0.0' || /^10\.|^192\.168\.|^172\.(?:1[6-9]|2\d|3[01])\./.test(h)) out.push({ guard: G, rule: 'url.private_host', weight: 30 });
  else if (/^\d+\.\d+\.\d+\.\d+$/.test(h) || /^\d+$/.test(h)) out.push({ guard: G, rule: 'url.ip_literal', weight: 15 });
  if (h.split('.').some((l) => l.startsWith('xn--'))) out.push({ guard: G, rule: 'url.punycode_host', weight: 15 });
  if (/(?:^|&)(?:api_?key|token|secret|password|passwd|auth|session|cookie)=/i.test(u.search)) out.push({ guard: G, rule: 'url.secret_in_query', weight: 30 });
  else if (/[A-Za-z0-9+/_-]{60,}/.test(u.search)) out.push({ guard: G, rule: 'url.encoded_data_in_query', weight: 15 });
  return out;
}

function toolCallReasons(input: Extract<DefenderInput, { kind: 'tool_call' }>, policy: DefenderPolicy, ctx: EvaluateContext): Reason[] {
  const out: Reason[] = [];
  const tool = normalizeToolName(input.tool);
  const allowed = toolAllowed(tool, policy.tools, input);
  if (!allowed.allowed) out.push({ guard: 'tool_policy', rule: 'tool_policy.denied', weight: 100, floor: 'block', detail: `${tool} refused by ${allowed.step}` });
  const bonus = policy.toolRiskBonus[tool];
  if (bonus) out.push({ guard: 'tool_policy', rule: 'tool_policy.risk_bonus', weight: bonus, detail: tool });
  const args = (input.args && typeof input.args === 'object' ? input.args : {}) as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
  const command = str('command') ?? str('cmd') ?? str('script');
  if (SHELL_TOOLS.has(tool) && command !== undefined) out.push(...scanCommand(command, { allowedPrefixes: policy.allowedCommandPrefixes, protectedPaths: policy.protectedPaths }));
  else if (SHELL_TOOLS.has(tool)) out.push({ guard: 'command_guard', rule: 'parse.no_command_text', weight: 10, floor: 'review', detail: 'shell tool call without a command string' });
  const path = str('path') ?? str('file_path') ?? str('file');
  const op = FILE_TOOLS[tool];
  if (op && path) out.push(...pathRules(path, op, policy.protectedPaths));
  const url = str('url');
  if (url) out.push(...scanUrl(url));
  if (ctx.loop && policy.loop.enabled) {
    const { level, count } = checkLoop(ctx.loop, tool, input.args, policy.loop);
    if (level === 'warn') out.push({ guard: 'tool_loop', rule: 'tool_loop.warning', weight: 0, floor: 'review', detail: `${count} identical calls without progress` });
    if (level === 'critical') out.push({ guard: 'tool_loop', rule: 'tool_loop.critical', weight: 0, floor: 'block', detail: `${count} identical calls without progress` });
    if (level === 'breaker') out.push({ guard: 'tool_loop', rule: 'tool_loop.circuit_breaker', weight: 0, floor: 'block', detail: `${count} identical calls: stop the run` });
  }
  return out;
}

/** Collects the raw reasons for one input (before weights are overridden and the score is capped). */
export function reasonsFor(input: DefenderInput, policy: DefenderPolicy, ctx: EvaluateContext = {}): Reason[] {
  const clip = (t: string): string => (t.length > policy.maxInputChars ? t.slice(0, policy.maxInputChars / 2) + '\n' + t.slice(-policy.maxInputChars / 2) : t);
  switch (input.kind) {
    case 'prompt': return [...scanPrompt(clip(input.text), { untrusted: input.source === 'external' }), ...secretMaterial(input.text)];
    case 'tool_result': return [...scanPrompt(clip(input.text), { untrusted: true }), ...secretMaterial(input.text)];
    case 'command': return [...scanCommand(input.text, { allowedPrefixes: policy.allowedCommandPrefixes, protectedPaths: policy.protectedPaths }), ...secretMaterial(input.text)];
    case 'url': return scanUrl(input.text);
    case 'file': return pathRules(input.path, input.operation ?? 'read', policy.protectedPaths);
    case 'tool_call': return toolCallReasons(input, policy, ctx);
    default: return [{ guard: 'engine', rule: 'engine.unknown_kind', weight: 0, floor: 'review' }];
  }
}

/**
 * Scores an input under a policy.
 * @example evaluate({ kind: 'command', text: 'rm -rf ~' }).decision === 'block'
 */
export function evaluate(input: DefenderInput, policy: DefenderPolicy = DEFAULT_POLICY, ctx: EvaluateContext = {}): Decision {
  const reasons = reasonsFor(input, policy, ctx).map((r) => {
    const w = policy.weights[r.rule];
    return w === undefined ? r : { ...r, weight: w };
  });
  const total = reasons.reduce((s, r) => s + r.weight, 0);
  const score = Math.max(0, Math.min(100, total));
  let decision: Action = score >= policy.blockThreshold ? 'block' : score >= policy.reviewThreshold ? 'review' : 'allow';
  for (const r of reasons) if (r.floor && RANK[r.floor] > RANK[decision]) decision = r.floor;
  if (policy.auditOnly && decision === 'block') {
    decision = 'review';
    reasons.push({ guard: 'engine', rule: 'engine.audit_only', weight: 0, detail: 'block reported as review (audit-only policy)' });
  }
  return { decision, score, reasons };
}
