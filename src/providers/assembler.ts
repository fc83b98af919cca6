// Folds streamed `chat.completion.chunk` objects (or one non-streamed completion) into a ChatResult.
import { ProviderApiError, ProviderNoAnswerError } from './errors.ts';
import type { ChatResult, StreamDelta, ToolCall, Usage } from './types.ts';

/** Caps on what one completion may hold; overflow fails the attempt as `oversize`. */
export interface AssemblyLimits {
  maxTextChars: number;
  maxToolCalls: number;
  maxArgumentChars: number;
}

/** Defaults: 1 M characters of text, 64 tool calls, 1 M characters of arguments per call. */
export const DEFAULT_ASSEMBLY_LIMITS: AssemblyLimits = { maxTextChars: 1 << 20, maxToolCalls: 64, maxArgumentChars: 1 << 20 };

interface Slot {
  id: string;
  name: string;
  args: string[];
  argChars: number;
}

/** Accumulates chunks; only choice index 0 is used (edgeclaw never asks for n > 1). */
export class CompletionAssembler {
  readonly #limits: AssemblyLimits;
  readonly #onDelta: ((d: StreamDelta) => void) | undefined;
  readonly #text: string[] = [];
  #textChars = 0;
  readonly #slots: Slot[] = [];
  // Raw stream index -> slot. Some servers (Ollama) reuse index 0 for every parallel call and tell them
  // apart only by id, so a new id at a used index opens a new slot.
  readonly #slotByIndex = new Map<number, number>();
  #finishReason: string | null = null;
  #usage: Usage | undefined;
  #model: string | undefined;
  /** Whether anything (text or a tool call) was streamed out through onDelta yet. */
  emitted = false;

  constructor(onDelta?: (d: StreamDelta) => void, limits: AssemblyLimits = DEFAULT_ASSEMBLY_LIMITS) {
    this.#onDelta = onDelta;
    this.#limits = limits;
  }

  /** Whether the provider said why it stopped (a stream cut short never does). */
  get finished(): boolean {
    return this.#finishReason !== null;
  }

  /** Adds one streamed chunk (already JSON-parsed). */
  addChunk(chunk: unknown): void {
    const c = asRecord(chunk);
    if (!c) throw new ProviderNoAnswerError('malformed', 'stream chunk is not a JSON object');
    if (c.error !== undefined) throw streamError(c.error);
    if (typeof c.model === 'string') this.#model = c.model;
    const usage = parseUsage(c.usage);
    if (usage) this.#usage = usage;
    if (!Array.isArray(c.choices)) return;
    for (const raw of c.choices) {
      const choice = asRecord(raw);
      if (!choice || (typeof choice.index === 'number' && choice.index !== 0)) continue;
      const delta = asRecord(choice.delta) ?? asRecord(choice.message);
      if (delta) this.#addDelta(delta);
      if (typeof choice.finish_reason === 'string') this.#finishReason = choice.finish_reason;
    }
  }

  /** Adds a whole non-streamed completion (`choices[0].message`). */
  addCompletion(body: unknown): void {
    const b = asRecord(body);
    if (!b || !Array.isArray(b.choices)) {
      if (b?.error !== undefined) throw streamError(b.error);
      throw new ProviderNoAnswerError('malformed', 'completion body has no choices');
    }
    this.addChunk(body);
    if (this.#finishReason === null) this.#finishReason = 'stop';
  }

  /** The assembled result. */
  result(): ChatResult {
    const toolCalls: ToolCall[] = this.#slots.map((s, i) => ({
      id: s.id || `call_${i}`,
      type: 'function',
      function: { name: s.name, arguments: s.args.join('') },
    }));
    return {
      text: this.#text.join(''),
      toolCalls,
      finishReason: this.#finishReason,
      ...(this.#usage ? { usage: this.#usage } : {}),
      ...(this.#model ? { model: this.#model } : {}),
    };
  }

  #addDelta(delta: Record<string, unknown>): void {
    const content = textOf(delta.content);
    if (content) {
      this.#textChars += content.length;
      if (this.#textChars > this.#limits.maxTextChars) throw new ProviderNoAnswerError('oversize', `completion text over ${this.#limits.maxTextChars} characters`);
      this.#text.push(content);
      this.#emit({ type: 'text', text: content });
    }
    if (!Array.isArray(delta.tool_calls)) return;
    for (const raw of delta.tool_calls) {
      const tc = asRecord(raw);
      if (!tc) continue;
      const fn = asRecord(tc.function) ?? {};
      const index = typeof tc.index === 'number' ? tc.index : this.#slots.length;
      const id = typeof tc.id === 'string' ? tc.id : '';
      let slotNo = this.#slotByIndex.get(index);
      const current = slotNo === undefined ? undefined : this.#slots[slotNo];
      if (current === undefined || (id !== '' && current.id !== '' && id !== current.id)) {
        if (this.#slots.length >= this.#limits.maxToolCalls) throw new ProviderNoAnswerError('oversize', `more than ${this.#limits.maxToolCalls} tool calls`);
        slotNo = this.#slots.push({ id, name: '', args: [], argChars: 0 }) - 1;
        this.#slotByIndex.set(index, slotNo);
      }
      const slot = this.#slots[slotNo!]!;
      if (id && !slot.id) slot.id = id;
      const name = typeof fn.name === 'string' ? fn.name : undefined;
      if (name) slot.name = slot.name && slot.name !== name ? slot.name + name : name;
      const args = typeof fn.arguments === 'string' ? fn.arguments : fn.arguments !== undefined ? JSON.stringify(fn.arguments) : undefined;
      if (args) {
        slot.argChars += args.length;
        if (slot.argChars > this.#limits.maxArgumentChars) throw new ProviderNoAnswerError('oversize', `tool call arguments over ${this.#limits.maxArgumentChars} characters`);
        slot.args.push(args);
      }
      this.#emit({ type: 'tool_call', index: slotNo!, ...(id ? { id } : {}), ...(name ? { name } : {}), ...(args ? { argumentsDelta: args } : {}) });
    }
  }

  #emit(d: StreamDelta): void {
    this.emitted = true;
    this.#onDelta?.(d);
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  // SAFETY: checked to be a non-array object; fields are narrowed one by one where read.
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  // Some servers send content parts: [{type:'text', text:'…'}].
  return content.map((p) => (typeof p === 'string' ? p : typeof asRecord(p)?.text === 'string' ? String(asRecord(p)!.text) : '')).join('');
}

function parseUsage(u: unknown): Usage | undefined {
  const r = asRecord(u);
  if (!r) return undefined;
  const prompt = typeof r.prompt_tokens === 'number' ? r.prompt_tokens : 0;
  const completion = typeof r.completion_tokens === 'number' ? r.completion_tokens : 0;
  const total = typeof r.total_tokens === 'number' ? r.total_tokens : prompt + completion;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: total };
}

/** An `{error:{message,code,type}}` object sent instead of a chunk (OpenRouter, vLLM do this mid-stream). */
export function streamError(e: unknown): ProviderApiError {
  const r = asRecord(e);
  const message = typeof r?.message === 'string' ? r.message.slice(0, 300) : 'provider sent an error in the stream';
  const code = typeof r?.code === 'string' ? r.code : typeof r?.type === 'string' ? r.type : undefined;
  const status = typeof r?.code === 'number' && r.code >= 400 && r.code < 600 ? r.code : 502;
  return new ProviderApiError(status, message, { ...(code ? { code } : {}), retryable: status >= 500 || status === 429 });
}
