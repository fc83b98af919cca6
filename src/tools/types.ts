// The tool contract: definitions with zod parameter schemas, the host port the agent calls, outcomes.
import type { z } from 'zod';
import type { Capabilities } from '../env.ts';
import type { ToolSpec } from '../providers/types.ts';

/** A capability a tool needs from the host (see Capabilities in src/env.ts). */
export type ToolCapability = 'exec' | 'localFiles';

/** What a running tool gets besides its arguments. */
export interface ToolContext {
  signal: AbortSignal;
  callId: string;
}

/** A tool: name, description, zod parameters, the capabilities it needs, and its implementation. */
export interface ToolDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  parameters: S;
  requires?: readonly ToolCapability[];
  /** Returns text for the model (objects are JSON-encoded by the host). Throwing becomes an error outcome. */
  run(args: z.output<S>, ctx: ToolContext): Promise<unknown>;
}

/** Machine-readable failure codes of a tool call. */
export type ToolErrorCode = 'unknown_tool' | 'capability_missing' | 'invalid_arguments' | 'tool_error' | 'aborted' | 'blocked' | 'denied' | 'skipped';

/** The outcome of one tool call, as a value (never thrown). */
export type ToolOutcome = { ok: true; content: string; truncated?: boolean } | { ok: false; error: { code: ToolErrorCode; message: string } };

/** The port the agent loop calls: list tools for the model, call one. */
export interface ToolHost {
  list(): ToolSpec[];
  call(name: string, args: unknown, ctx: ToolContext): Promise<ToolOutcome>;
}

/** Declares a tool with its parameter type inferred from the schema. */
export function defineTool<S extends z.ZodType>(def: ToolDefinition<S>): ToolDefinition<S> {
  return def;
}

/** Tools that exist only where the host declares a capability, so calls can be refused clearly everywhere. */
export const GATED_TOOLS: Readonly<Record<string, ToolCapability>> = {
  exec: 'exec',
  read: 'localFiles',
  write: 'localFiles',
  edit: 'localFiles',
  list: 'localFiles',
};

/** Whether the capabilities include `cap`. */
export function hasCapability(caps: Capabilities, cap: ToolCapability): boolean {
  return caps[cap] === true;
}
