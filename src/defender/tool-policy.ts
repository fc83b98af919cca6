// tool_policy: profiles, groups, allow/deny lists with per-provider and per-channel overlays, and
// per-sender elevation. A tool is allowed only if every step allows it; a deny always wins.
import type { ToolPolicyConfig } from './types.ts';

/** Tool groups usable in allow/deny lists and profiles. */
export const TOOL_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'group:memory': ['memory_search', 'memory_get'],
  'group:web': ['web_search', 'x_search', 'web_fetch'],
  'group:fs': ['read', 'write', 'edit', 'apply_patch'],
  'group:runtime': ['exec', 'process', 'code_execution', 'wasm'],
  'group:sessions': ['sessions', 'sessions_list', 'sessions_history', 'sessions_send', 'sessions_spawn', 'subagents', 'session_status'],
  'group:ui': ['browser', 'canvas'],
  'group:automation': ['cron', 'gateway', 'routines'],
  'group:messaging': ['message'],
  'group:nodes': ['nodes'],
};

/** Profiles: one allow-list step each; `full` (or an unknown name) restricts nothing. */
export const TOOL_PROFILES: Readonly<Record<string, readonly string[]>> = {
  minimal: ['session_status'],
  messaging: ['group:messaging', 'sessions_list', 'sessions_history', 'sessions_send', 'session_status'],
  coding: ['group:fs', 'group:runtime', 'group:web', 'group:sessions', 'group:memory', 'image'],
  full: [],
};

const ALIASES: Record<string, string> = { bash: 'exec', shell: 'exec', 'apply-patch': 'apply_patch', session: 'sessions' };

/** Lowercases, trims and resolves aliases (`bash` -> `exec`). */
export function normalizeToolName(name: string): string {
  const n = name.trim().toLowerCase();
  return ALIASES[n] ?? n;
}

function globMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.includes('*')) return p === name;
  const parts = p.split('*');
  let at = 0;
  if (!name.startsWith(parts[0]!)) return false;
  at = parts[0]!.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const f = name.indexOf(parts[k]!, at);
    if (f === -1) return false;
    at = f + parts[k]!.length;
  }
  const last = parts[parts.length - 1]!;
  return name.length - last.length >= at && name.endsWith(last);
}

function entryMatches(entry: string, tool: string): boolean {
  const e = normalizeToolName(entry);
  const group = TOOL_GROUPS[e];
  if (group) return group.includes(tool);
  return globMatch(e, tool);
}

interface Step { name: string; allow: readonly string[]; deny: readonly string[] }

function stepAllows(step: Step, tool: string, extra: readonly string[]): boolean {
  if (step.deny.some((d) => entryMatches(d, tool))) return false;
  if (step.allow.length === 0) return true;
  const allow = [...step.allow, ...extra];
  if (allow.some((a) => entryMatches(a, tool))) return true;
  return tool === 'apply_patch' && allow.some((a) => entryMatches(a, 'exec'));
}

/** Who is asking: used to pick overlays and elevation. */
export interface ToolContext { provider?: string; model?: string; channel?: string; sender?: string }

function steps(cfg: ToolPolicyConfig, ctx: ToolContext): Step[] {
  const out: Step[] = [];
  const profile = (name: string | undefined, label: string): void => {
    const list = name ? TOOL_PROFILES[name.toLowerCase()] : undefined;
    if (list && list.length) out.push({ name: label, allow: list, deny: [] });
  };
  const provider = ctx.provider?.toLowerCase();
  const model = ctx.model?.toLowerCase();
  const byProvider = provider ? (cfg.byProvider?.[model?.includes('/') ? model : `${provider}/${model}`] ?? cfg.byProvider?.[provider]) : undefined;
  const byChannel = ctx.channel ? cfg.byChannel?.[ctx.channel.toLowerCase()] : undefined;
  profile(cfg.profile, 'profile');
  profile(byProvider?.profile, 'provider profile');
  profile(byChannel?.profile, 'channel profile');
  out.push({ name: 'allow/deny', allow: cfg.allow ?? [], deny: cfg.deny ?? [] });
  if (byProvider) out.push({ name: 'provider allow/deny', allow: byProvider.allow ?? [], deny: byProvider.deny ?? [] });
  if (byChannel) out.push({ name: 'channel allow/deny', allow: byChannel.allow ?? [], deny: byChannel.deny ?? [] });
  return out;
}

/**
 * Whether a tool may run, and which step refused it.
 * @example toolAllowed('exec', { profile: 'messaging' }, {}).allowed === false
 */
export function toolAllowed(tool: string, cfg: ToolPolicyConfig, ctx: ToolContext = {}): { allowed: boolean; step?: string } {
  const name = normalizeToolName(tool);
  const extra = ctx.sender ? (cfg.elevated?.[ctx.sender] ?? []) : [];
  for (const step of steps(cfg, ctx)) if (!stepAllows(step, name, extra)) return { allowed: false, step: step.name };
  return { allowed: true };
}

/** The tool list to give the model: only the tools the policy allows in this context. */
export function filterTools<T extends string | { name: string }>(tools: readonly T[], cfg: ToolPolicyConfig, ctx: ToolContext = {}): T[] {
  return tools.filter((t) => toolAllowed(typeof t === 'string' ? t : t.name, cfg, ctx).allowed);
}
