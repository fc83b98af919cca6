// tool_loop: a sliding window of (tool, stable hash of args, hash of outcome) per session or run, with
// warn / critical / circuit-breaker thresholds. Pure: the caller keeps the state object.
import type { DefenderPolicy } from './types.ts';

/** The window of recent calls, oldest first. */
export interface LoopState { entries: Array<{ call: string; outcome: string }> }

/** Loop level after a call: ok, warn (review), critical (block) or breaker (stop the run). */
export type LoopLevel = 'ok' | 'warn' | 'critical' | 'breaker';

/** A fresh, empty window. */
export function createLoopState(): LoopState { return { entries: [] }; }

/** JSON with object keys sorted, so equal arguments hash equally whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}

/** A fast non-cryptographic 53-bit string hash (hex), enough to compare calls inside one window. */
export function hashString(s: string): string {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}

/** The key of a call: tool name plus the hash of its stable-stringified arguments. */
export function callKey(tool: string, args: unknown): string {
  return `${tool.toLowerCase()}:${hashString(stableStringify(args ?? null))}`;
}

function levelOf(count: number, cfg: DefenderPolicy['loop']): LoopLevel {
  if (count >= cfg.breaker) return 'breaker';
  if (count >= cfg.critical) return 'critical';
  if (count >= cfg.warn) return 'warn';
  return 'ok';
}

/**
 * Level a call would reach if it ran now: how many calls in the window had the same key and the same
 * outcome as the latest one (no progress), plus this one.
 */
export function checkLoop(state: LoopState, tool: string, args: unknown, cfg: DefenderPolicy['loop']): { level: LoopLevel; count: number } {
  if (!cfg.enabled) return { level: 'ok', count: 0 };
  const key = callKey(tool, args);
  let last: string | undefined;
  for (let i = state.entries.length - 1; i >= 0; i--) if (state.entries[i]!.call === key) { last = state.entries[i]!.outcome; break; }
  if (last === undefined) return { level: 'ok', count: 1 };
  const count = 1 + state.entries.filter((e) => e.call === key && e.outcome === last).length;
  return { level: levelOf(count, cfg), count };
}

/** Records a finished call and its outcome; keeps only the last `window` entries. */
export function recordLoop(state: LoopState, tool: string, args: unknown, outcome: unknown, cfg: DefenderPolicy['loop']): void {
  state.entries.push({ call: callKey(tool, args), outcome: hashString(stableStringify(outcome ?? null)) });
  if (state.entries.length > cfg.window) state.entries.splice(0, state.entries.length - cfg.window);
}
