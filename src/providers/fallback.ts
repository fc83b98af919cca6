// A fallback chain across models/providers: the next candidate is tried when one fails with a retryable
// error or a timeout (after that client's own retries). Every attempt is recorded for the run.
import { ProviderError, describeFailure, isAbortError } from './errors.ts';
import type { ChatCallOptions, ChatRequest, ChatResult, ChatCompleter } from './types.ts';
import type { ModelRef, ResolvedModels } from './resolve.ts';
import { formatModelRef } from './resolve.ts';
import { OpenAICompatClient, type OpenAICompatClientOptions } from './client.ts';

/** One model on one provider, with the client that reaches it. */
export interface Candidate extends ModelRef {
  client: ChatCompleter;
  requestDefaults?: Record<string, unknown>;
}

/** One entry of a run's attempt record. */
export interface Attempt {
  provider: string;
  model: string;
  ok: boolean;
  /** Set when the candidate was never called (unavailable provider). */
  skipped?: string;
  error?: { kind: string; message: string; status?: number; retryable: boolean };
}

/** A chain result: the completion plus who answered and every attempt made. */
export interface ChainResult {
  result: ChatResult;
  provider: string;
  model: string;
  attempts: Attempt[];
}

/** Options for one chain call; `onFallback` fires before switching to the next candidate. */
export interface ChainCallOptions extends ChatCallOptions {
  onFallback?: (next: ModelRef, failed: Attempt) => void;
}

/** Every candidate failed (or one failed in a way another cannot fix). `cause` is the last error. */
export class FallbackExhaustedError extends Error {
  override readonly name = 'FallbackExhaustedError';
  readonly attempts: Attempt[];
  constructor(attempts: Attempt[], cause: unknown) {
    super(attempts.length === 0 ? 'no model candidates' : `all ${attempts.filter((a) => !a.skipped).length} model attempts failed`, { cause });
    this.attempts = attempts;
  }
}

/**
 * Tries candidates in order. Aborts are rethrown at once; non-retryable API errors (400, 401…) stop the chain.
 * @example const { result, attempts } = await chain.complete({ messages }, { signal });
 */
export class FallbackChain {
  readonly candidates: readonly Candidate[];
  readonly #skipped: Attempt[];

  constructor(candidates: readonly Candidate[], skipped: Attempt[] = []) {
    this.candidates = candidates;
    this.#skipped = skipped;
  }

  /** Runs the request against each candidate until one answers. */
  async complete(req: Omit<ChatRequest, 'model'>, opts: ChainCallOptions = {}): Promise<ChainResult> {
    const attempts: Attempt[] = [...this.#skipped];
    let lastError: unknown = new Error('no available model candidates');
    for (const [i, c] of this.candidates.entries()) {
      try {
        const extra = c.requestDefaults || req.extra ? { ...c.requestDefaults, ...req.extra } : undefined;
        const result = await c.client.complete({ ...req, model: c.model, ...(extra ? { extra } : {}) }, opts);
        attempts.push({ provider: c.provider, model: c.model, ok: true });
        return { result, provider: c.provider, model: c.model, attempts };
      } catch (err) {
        if (isAbortError(err, opts.signal)) throw err;
        lastError = err;
        const failed: Attempt = { provider: c.provider, model: c.model, ok: false, error: describeFailure(err) };
        attempts.push(failed);
        if (!(err instanceof ProviderError) || !err.retryable) break;
        const next = this.candidates[i + 1];
        if (next) opts.onFallback?.({ provider: next.provider, model: next.model }, failed);
      }
    }
    throw new FallbackExhaustedError(attempts, lastError);
  }
}

/**
 * Builds the chain for `[primary, ...fallbacks]` from resolved providers; unavailable ones are recorded as skipped.
 * @example createFallbackChain(resolveModels(cfg, env), { fetch })
 */
export function createFallbackChain(
  resolved: ResolvedModels,
  opts: { primary?: ModelRef; clientOptions?: Partial<OpenAICompatClientOptions> } = {},
): FallbackChain {
  const refs = [opts.primary ?? resolved.primary, ...resolved.fallbacks];
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  const skipped: Attempt[] = [];
  for (const ref of refs) {
    const key = formatModelRef(ref);
    if (seen.has(key)) continue;
    seen.add(key);
    const p = resolved.providers.get(ref.provider);
    if (!p || !p.available || !p.baseUrl) {
      skipped.push({ provider: ref.provider, model: ref.model, ok: false, skipped: p?.unavailableReason ?? 'unknown provider' });
      continue;
    }
    const client = new OpenAICompatClient({
      baseUrl: p.baseUrl,
      ...(p.apiKey ? { apiKey: p.apiKey } : {}),
      headers: p.headers,
      timeoutMs: p.timeoutMs,
      streamUsage: p.streamUsage,
      retry: { maxAttempts: resolved.maxAttempts },
      ...opts.clientOptions,
    });
    candidates.push({ ...ref, client, ...(p.requestDefaults ? { requestDefaults: p.requestDefaults } : {}) });
  }
  return new FallbackChain(candidates, skipped);
}
