// The tool host: validates arguments with each tool's zod schema, exposes schemas as JSON Schema, refuses
// tools whose capability the host lacks (declared, never sniffed), and caps result size.
import { z } from 'zod';
import type { Capabilities } from '../env.ts';
import type { ToolSpec } from '../providers/types.ts';
import { GATED_TOOLS, hasCapability, type ToolContext, type ToolDefinition, type ToolHost, type ToolOutcome } from './types.ts';

/** Options of a tool host. */
export interface ToolHostOptions {
  tools: readonly ToolDefinition[];
  capabilities: Capabilities;
  /** Largest result handed back, in UTF-8 bytes; longer results are cut with a marker. Default 64 KiB. */
  maxResultBytes?: number;
}

/**
 * Creates a tool host. Tools whose capability is missing are left out of `list()` and refused by `call()`.
 * @example const host = createToolHost({ tools: [webFetch], capabilities: WORKERS_CAPABILITIES });
 */
export function createToolHost(opts: ToolHostOptions): ToolHost & { names(): string[] } {
  const maxBytes = opts.maxResultBytes ?? 64 * 1024;
  const byName = new Map<string, ToolDefinition>();
  for (const t of opts.tools) {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) throw new Error(`tool name ${JSON.stringify(t.name)} must match [a-zA-Z0-9_-]{1,64}`);
    if (byName.has(t.name)) throw new Error(`tool ${t.name} is registered twice`);
    byName.set(t.name, t);
  }
  const missing = (t: ToolDefinition | undefined, name: string): string | undefined => {
    const needs = new Set([...(t?.requires ?? []), ...(GATED_TOOLS[name] ? [GATED_TOOLS[name]] : [])]);
    return [...needs].find((cap) => !hasCapability(opts.capabilities, cap));
  };
  const specs = [...byName.values()]
    .filter((t) => missing(t, t.name) === undefined)
    .map((t): ToolSpec => ({ type: 'function', function: { name: t.name, description: t.description, parameters: jsonSchemaOf(t.parameters) } }));

  return {
    names: () => specs.map((s) => s.function.name),
    list: () => specs.map((s) => structuredClone(s)),
    async call(name: string, args: unknown, ctx: ToolContext): Promise<ToolOutcome> {
      const tool = byName.get(name);
      const cap = missing(tool, name);
      if (cap) {
        return fail('capability_missing', `tool ${name} is not available on this host (${opts.capabilities.host}): it needs the ${cap} capability, which this runtime does not provide`);
      }
      if (!tool) return fail('unknown_tool', `unknown tool: ${name}`);
      if (ctx.signal.aborted) return fail('aborted', 'aborted before the tool started');
      const parsed = tool.parameters.safeParse(args);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
        return fail('invalid_arguments', `invalid arguments for ${name}: ${where}${issue?.message ?? 'malformed'}`);
      }
      try {
        const value = await tool.run(parsed.data, ctx);
        const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
        return capResult(text, maxBytes);
      } catch (err) {
        if (ctx.signal.aborted) return fail('aborted', 'aborted while the tool ran');
        return fail('tool_error', err instanceof Error ? err.message.slice(0, 2000) : String(err).slice(0, 2000));
      }
    },
  };
}

function fail(code: Extract<ToolOutcome, { ok: false }>['error']['code'], message: string): ToolOutcome {
  return { ok: false, error: { code, message } };
}

/** JSON Schema for a tool's parameters (draft 2020-12 keyword set, `$schema` dropped: providers do not need it). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const hit = jsonSchemas.get(schema);
  if (hit) return hit;
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  jsonSchemas.set(schema, rest);
  return rest;
}

/** Converted schemas by zod schema: tool schemas are module constants, converted once instead of every turn. */
const jsonSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();

/**
 * Cuts text to at most `maxBytes` UTF-8 bytes (never inside a character) and says how much was dropped.
 * @example capResult('x'.repeat(10), 4) // { ok: true, content: 'xxxx\n[truncated: 6 more bytes]', truncated: true }
 */
export function capResult(text: string, maxBytes: number): ToolOutcome {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= maxBytes) return { ok: true, content: text };
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  const head = new TextDecoder().decode(bytes.subarray(0, end));
  return { ok: true, content: `${head}\n[truncated: ${bytes.byteLength - end} more bytes]`, truncated: true };
}

/**
 * The host as the model sees it under a tool policy: `list()` keeps only allowed tools; `call()` is
 * unchanged (the defender still gates every call, so a tool the model names anyway is refused there).
 * @example withAllowedTools(host, (name) => toolAllowed(name, policy.tools, ctx).allowed)
 */
export function withAllowedTools(host: ToolHost, allowed: (name: string) => boolean): ToolHost {
  return { list: () => host.list().filter((s) => allowed(s.function.name)), call: (name, args, ctx) => host.call(name, args, ctx) };
}
