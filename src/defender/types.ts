// Shared types of the defender engine: inputs, reasons, decisions and the policy shape.

/** The three outcomes, ordered allow < review < block. */
export type Action = 'allow' | 'review' | 'block';

/** Kinds of input the engine scores. */
export type InputKind = 'prompt' | 'tool_call' | 'command' | 'tool_result' | 'url' | 'file';

/** One thing the engine is asked about. `text` carries prompt/command/tool_result/url text. */
export type DefenderInput =
  | { kind: 'prompt'; text: string; source?: 'owner' | 'group' | 'external' }
  | { kind: 'command'; text: string }
  | { kind: 'tool_result'; text: string; tool?: string }
  | { kind: 'tool_call'; tool: string; args?: unknown; provider?: string; model?: string; channel?: string; sender?: string }
  | { kind: 'url'; text: string }
  | { kind: 'file'; path: string; sha256?: string; operation?: 'read' | 'write' | 'delete' | 'exec' };

/** Why a score went up: the guard, its rule id, the weight added and the matched span if any. */
export interface Reason {
  guard: 'prompt_guard' | 'command_guard' | 'host_guard' | 'tool_policy' | 'tool_loop' | 'engine';
  rule: string;
  weight: number;
  /** [start, end) offsets into the text the rule saw (after normalisation, or in the decoded span). */
  span?: [number, number];
  /** A minimum decision this reason forces regardless of the score (for example "not fully understood"). */
  floor?: Action;
  /** Short human text: what matched, or what could not be understood. */
  detail?: string;
}

/** The engine's answer. */
export interface Decision {
  decision: Action;
  score: number;
  reasons: Reason[];
}

/** Tool policy configuration: a profile plus allow/deny lists, with overlays. */
export interface ToolPolicyConfig {
  profile?: string;
  allow?: string[];
  deny?: string[];
  /** Keyed by provider or provider/model (lowercase). */
  byProvider?: Record<string, { profile?: string; allow?: string[]; deny?: string[] }>;
  /** Keyed by channel id (lowercase). */
  byChannel?: Record<string, { profile?: string; allow?: string[]; deny?: string[] }>;
  /** Per-sender elevation: extra tools allowed for a sender key such as `telegram:12345`; never removes a deny. */
  elevated?: Record<string, string[]>;
}

/** The whole policy an evaluation runs under. Every field has a default (see DEFAULT_POLICY). */
export interface DefenderPolicy {
  reviewThreshold: number;
  blockThreshold: number;
  /** Per-rule weight overrides, keyed by rule id (e.g. `override.ignore_previous`). */
  weights: Record<string, number>;
  /** Commands whose literal argv starts with one of these word prefixes are allowed (unless a rule blocks). */
  allowedCommandPrefixes: string[];
  /** Paths (prefixes; `~` = any home) that file tools and commands must not touch. */
  protectedPaths: string[];
  /** Extra risk per tool name. */
  toolRiskBonus: Record<string, number>;
  tools: ToolPolicyConfig;
  loop: { enabled: boolean; window: number; warn: number; critical: number; breaker: number };
  /** Report-only mode: a block becomes review (a reason `engine:audit_only` is added). */
  auditOnly: boolean;
  /** Inputs longer than this (UTF-16 units) are scored on their head and tail and flagged. */
  maxInputChars: number;
}
