// Wire-level types for OpenAI-compatible chat completions (only the fields edgeclaw reads or sends).

/** A tool call as the model emits it and as it goes back into history. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One chat message in OpenAI's `messages` format. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A tool offered to the model (`tools[]` entry). */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** Token usage as reported by the provider (summed across steps by the agent). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One chat completion request. `extra` is merged into the body (provider request defaults). */
export interface ChatRequest {
  model: string;
  messages: readonly ChatMessage[];
  tools?: readonly ToolSpec[];
  extra?: Record<string, unknown>;
}

/** What arrives while a completion streams. */
export type StreamDelta =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta?: string };

/** Per-call options: cancellation and a streaming callback. */
export interface ChatCallOptions {
  signal?: AbortSignal;
  onDelta?: (delta: StreamDelta) => void;
}

/** The assembled completion. */
export interface ChatResult {
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage?: Usage;
  model?: string;
}

/** Anything that can complete a chat (a client, a fallback chain, a test double). */
export interface ChatCompleter {
  complete(req: ChatRequest, opts?: ChatCallOptions): Promise<ChatResult>;
}

/** Adds two usages (either may be absent). */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b ? { ...b } : undefined;
  if (!b) return { ...a };
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}
