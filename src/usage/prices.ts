/**
 * Prices per million tokens (USD) of well-known models, for `usage.cost` estimates. A model not listed has
 * no price: its cost is reported as null (unknown), never 0. Prices are list prices and change; they are
 * estimates, not bills.
 */

/** Input and output price per 1M tokens, USD. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
}

/** Keyed by model id (without provider); matched after stripping a `provider/` prefix. */
const PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'claude-3-5-haiku-latest': { input: 0.8, output: 4 },
  'claude-sonnet-4-0': { input: 3, output: 15 },
  'llama-3.3-70b-versatile': { input: 0.59, output: 0.79 },
  'llama-3.1-8b-instant': { input: 0.05, output: 0.08 },
  'deepseek-chat': { input: 0.27, output: 1.1 },
  'mistral-small-latest': { input: 0.2, output: 0.6 },
};

/**
 * The price of `model` (`provider/model` or a bare id), or null when unknown.
 * @example priceOf('openai/gpt-4o-mini')?.input === 0.15
 */
export function priceOf(model: string): ModelPrice | null {
  const id = model.includes('/') ? model.slice(model.indexOf('/') + 1) : model;
  return PRICES[id] ?? null;
}

/**
 * Estimated cost in USD of the given tokens, or null when the model has no known price.
 * @example costOf('openai/gpt-4o-mini', 1_000_000, 0) === 0.15
 */
export function costOf(model: string, inputTokens: number, outputTokens: number): number | null {
  const p = priceOf(model);
  if (!p) return null;
  return (inputTokens * p.input + outputTokens * p.output) / 1_000_000;
}
