/**
 * Prometheus text-format metrics (exposition format 0.0.4), runtime-neutral. Counters live per isolate/process
 * and are bounded: each keeps at most MAX_SERIES label sets, later ones fold into `other`.
 */

/** Most label sets one counter keeps. */
export const MAX_SERIES = 64;

/** A process memory sample the host may provide (Node: process.memoryUsage; Workers: absent). */
export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** When it was taken (ms since epoch). */
  sampledAt: number;
}

/** The optional host port (`env.HOST_METRICS`) for figures only the host can see. */
export interface HostMetrics {
  /** Seconds between memory samples (`runtime.memorySampleSecs`); 0 means sampling is off. */
  readonly memorySampleSecs: number;
  /** The latest memory sample, or null when sampling is off. */
  memory(): MemorySample | null;
  /** The retained samples, oldest first (a bounded ring). */
  memorySamples(): readonly MemorySample[];
  /** Sizes of the host's in-memory registries and their caps (Node: resident objects, alarms, per-object maps). */
  registries?(): readonly RegistryFigure[];
}

/** One in-memory registry of the host: how many entries it holds now and the most it may hold. */
export interface RegistryFigure {
  /** Stable name, e.g. `do.resident` or `GATEWAY.watched` (a bounded set: one per registry, not per key). */
  readonly name: string;
  readonly size: number;
  /** The configured cap; null when the registry is bounded only by other caps (e.g. one entry per pending call). */
  readonly cap: number | null;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** A monotonically increasing counter with a fixed list of label names. */
export class Counter<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly #series = new Map<string, number>();

  constructor(name: string, help: string, labelNames: readonly L[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** Adds `by` (default 1) to the series with these labels. */
  inc(labels: Record<L, string>, by = 1): void {
    let key = this.labelNames.map((l) => labels[l] ?? '').join('\u0000');
    if (!this.#series.has(key) && this.#series.size >= MAX_SERIES) key = this.labelNames.map(() => 'other').join('\u0000');
    this.#series.set(key, (this.#series.get(key) ?? 0) + by);
  }

  /** The value of one series (0 when never incremented). */
  get(labels: Record<L, string>): number {
    return this.#series.get(this.labelNames.map((l) => labels[l] ?? '').join('\u0000')) ?? 0;
  }

  /** Exposition lines of this counter. */
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, value] of this.#series) {
      const parts = key.split('\u0000');
      const labels = this.labelNames.map((l, i) => `${l}="${escapeLabel(parts[i] ?? '')}"`).join(',');
      lines.push(`${this.name}${labels ? `{${labels}}` : ''} ${value}`);
    }
    return lines;
  }
}

/** Every counter edgeclaw exports. */
export const METRICS = {
  httpRequests: new Counter('edgeclaw_http_requests_total', 'HTTP requests by route and status class.', ['route', 'class']),
  gatewayConnections: new Counter('edgeclaw_gateway_connections_total', 'Gateway WebSocket upgrades accepted for the hub.', ['transport']),
  runs: new Counter('edgeclaw_runs_total', 'Agent runs finished, by status.', ['status']),
  defenderDecisions: new Counter('edgeclaw_defender_decisions_total', 'Defender decisions by kind and decision.', ['kind', 'decision']),
};

/** Known top-level routes; anything else is counted as `other`, so labels stay bounded. */
const ROUTES = ['/healthz', '/health', '/readyz', '/status', '/rpc', '/sessions', '/telegram', '/hooks', '/metrics', '/v1', '/control', '/chat', '/slack', '/whatsapp'];

/** The bounded route label of a path: a known first segment, `/`, or `other`. */
export function routeLabel(path: string): string {
  if (path === '/') return '/';
  return ROUTES.find((r) => path === r || path.startsWith(`${r}/`)) ?? 'other';
}

/** Counts one HTTP response (one line at the app's middleware). */
export function recordHttp(path: string, status: number): void {
  METRICS.httpRequests.inc({ route: routeLabel(path), class: `${Math.floor(status / 100)}xx` });
}

function gauge(name: string, help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${Number.isFinite(value) ? value : 0}`];
}

/**
 * The whole exposition text: counters, then memory gauges when the host samples memory (Node with
 * `runtime.memorySampleSecs` > 0; Workers have no host metrics and the gauges are simply absent).
 * @example new Response(renderMetrics(env.HOST_METRICS), { headers: { 'content-type': METRICS_CONTENT_TYPE } })
 */
export function renderMetrics(host?: HostMetrics): string {
  const lines = Object.values(METRICS).flatMap((c) => c.render());
  const m = host?.memory();
  if (host && m) {
    const peak = Math.max(...host.memorySamples().map((x) => x.rssBytes), m.rssBytes);
    lines.push(
      ...gauge('edgeclaw_process_resident_memory_bytes', 'Resident set size of the host process.', m.rssBytes),
      ...gauge('edgeclaw_process_heap_used_bytes', 'JavaScript heap in use.', m.heapUsedBytes),
      ...gauge('edgeclaw_process_heap_total_bytes', 'JavaScript heap reserved.', m.heapTotalBytes),
      ...gauge('edgeclaw_process_external_memory_bytes', 'Memory of C++ objects bound to JavaScript.', m.externalBytes),
      ...gauge('edgeclaw_process_resident_memory_peak_bytes', 'Largest resident set size among the retained samples.', peak),
      ...gauge('edgeclaw_memory_sample_timestamp_seconds', 'When the memory sample was taken.', Math.floor(m.sampledAt / 1000)),
      ...gauge('edgeclaw_memory_sample_interval_seconds', 'Seconds between memory samples (runtime.memorySampleSecs).', host.memorySampleSecs),
    );
  }
  const registries = host?.registries?.() ?? [];
  if (registries.length > 0) {
    const label = (r: RegistryFigure) => `{registry="${escapeLabel(r.name)}"}`;
    lines.push('# HELP edgeclaw_host_registry_entries Entries held now by an in-memory registry of the host.', '# TYPE edgeclaw_host_registry_entries gauge');
    for (const r of registries) lines.push(`edgeclaw_host_registry_entries${label(r)} ${r.size}`);
    lines.push('# HELP edgeclaw_host_registry_capacity The cap of an in-memory registry of the host (absent when bounded by other caps).', '# TYPE edgeclaw_host_registry_capacity gauge');
    for (const r of registries) if (r.cap !== null) lines.push(`edgeclaw_host_registry_capacity${label(r)} ${r.cap}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What `status` shows about memory: the interval, the latest sample, the peak RSS and the retained samples. */
export interface MemoryStatus {
  sampleSecs: number;
  latest: MemorySample | null;
  peakRssBytes: number | null;
  samples: readonly MemorySample[];
}

/**
 * The `memory` block of the `status` method (absent on hosts without HOST_METRICS, i.e. Workers).
 * @example const memory = env.HOST_METRICS ? memoryStatus(env.HOST_METRICS) : undefined;
 */
export function memoryStatus(host: HostMetrics): MemoryStatus {
  const samples = host.memorySamples();
  return {
    sampleSecs: host.memorySampleSecs,
    latest: host.memory(),
    peakRssBytes: samples.length ? Math.max(...samples.map((s) => s.rssBytes)) : null,
    samples,
  };
}

/** The Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
