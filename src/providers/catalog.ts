// The `models.list` catalog: presets + config (+ optional live `/models` discovery, cached and bounded).
import type { ResolvedModels } from './resolve.ts';
import { formatModelRef } from './resolve.ts';

/** One `models.list` entry (protocol §4.2 field names). Never carries keys. */
export interface CatalogModel {
  id: string;
  name: string;
  provider: string;
  /** `provider/id`, the form sessions and config use. */
  alias: string;
  contextWindow?: number;
  reasoning?: boolean;
  available: boolean;
  source: 'preset' | 'config' | 'live';
}

/** The `models.list` result. */
export interface ModelCatalog {
  models: CatalogModel[];
  defaultModels: string[];
}

/**
 * Builds the catalog: every provider's models (preset and configured), plus live ids per provider if given.
 * Sorted by provider, then name, then id; duplicates keep the first (config over preset over live).
 */
export function buildModelCatalog(resolved: ResolvedModels, live: Readonly<Record<string, readonly string[]>> = {}): ModelCatalog {
  const out = new Map<string, CatalogModel>();
  for (const p of resolved.providers.values()) {
    const add = (id: string, source: CatalogModel['source'], extra: Partial<CatalogModel> = {}) => {
      const alias = `${p.id}/${id}`;
      if (out.has(alias)) return;
      out.set(alias, { id, name: extra.name ?? id, provider: p.id, alias, available: p.available, source, ...strip(extra) });
    };
    for (const m of p.models) {
      add(m.id, m.origin ?? 'config', {
        ...(m.name ? { name: m.name } : {}),
        ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}),
        ...(m.reasoning !== undefined ? { reasoning: m.reasoning } : {}),
      });
    }
    for (const id of live[p.id] ?? []) add(id, 'live');
  }
  // The primary is always listed, even when it names a model no preset knows.
  const primary = resolved.primary;
  const primaryProvider = resolved.providers.get(primary.provider);
  if (!out.has(formatModelRef(primary))) {
    out.set(formatModelRef(primary), { id: primary.model, name: primary.model, provider: primary.provider, alias: formatModelRef(primary), available: primaryProvider?.available ?? false, source: 'config' });
  }
  const models = [...out.values()].sort((a, b) => cmp(a.provider, b.provider) || cmp(a.name, b.name) || cmp(a.id, b.id));
  return { models, defaultModels: [formatModelRef(primary), ...resolved.fallbacks.map(formatModelRef)] };
}

function strip(extra: Partial<CatalogModel>): Partial<CatalogModel> {
  const { name: _n, ...rest } = extra;
  return rest;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Caches live model lists per provider for `ttlMs`; failures are cached too (as empty) so a dead endpoint is not hammered. */
export class ModelDiscovery {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxProviders: number;
  readonly #cache = new Map<string, { at: number; ids: string[] }>();
  readonly #inflight = new Map<string, Promise<string[]>>();

  constructor(opts: { ttlMs: number; now?: () => number; maxProviders?: number }) {
    this.#ttlMs = opts.ttlMs;
    this.#now = opts.now ?? Date.now;
    this.#maxProviders = opts.maxProviders ?? 64;
  }

  /** The cached list for `provider`, fetching it with `list` when missing or stale (concurrent calls share one fetch). */
  async get(provider: string, list: () => Promise<string[]>): Promise<string[]> {
    const hit = this.#cache.get(provider);
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.ids;
    const pending = this.#inflight.get(provider);
    if (pending) return pending;
    const run = list()
      .catch(() => [] as string[])
      .then((ids) => {
        this.#cache.delete(provider);
        // Bounded: the oldest entry goes first once the cap is reached.
        if (this.#cache.size >= this.#maxProviders) this.#cache.delete(this.#cache.keys().next().value!);
        this.#cache.set(provider, { at: this.#now(), ids: ids.slice(0, 1000) });
        return ids.slice(0, 1000);
      })
      .finally(() => this.#inflight.delete(provider));
    this.#inflight.set(provider, run);
    return run;
  }
}
