/**
 * The Node host's `env.HOST_METRICS`: process.memoryUsage() sampled every `runtime.memorySampleSecs`
 * into a bounded ring (the oldest sample is dropped first). Shown by the `status` method and `/metrics`.
 */
import type { HostMetrics, MemorySample, RegistryFigure } from '../src/metrics.ts';

/** Samples kept: at the default 30 s interval, the last hour. */
export const MEMORY_RING_CAP = 120;

/** A sampler with its timer controls (the server starts it after listening and stops it on close). */
export interface NodeHostMetrics extends HostMetrics {
  /** Takes one sample now (also what the timer does); returns it. */
  sample(): MemorySample;
  /** Starts the periodic timer (no-op when the interval is 0 or it already runs); takes a first sample. */
  start(): void;
  /** Stops the timer; the retained samples stay readable. */
  stop(): void;
}

/**
 * A memory sampler. `memorySampleSecs` 0 disables it: no timer, no samples, no gauges.
 * @example const m = createHostMetrics({ memorySampleSecs: 30 }); m.start(); m.memory()?.rssBytes; m.stop();
 */
export function createHostMetrics(opts: {
  memorySampleSecs: number;
  cap?: number;
  now?: () => number;
  read?: () => NodeJS.MemoryUsage;
  /** The host's registry sizes (the Durable Object host's `registries()`), read on demand. */
  registries?: () => readonly RegistryFigure[];
}): NodeHostMetrics {
  const cap = Math.max(1, opts.cap ?? MEMORY_RING_CAP);
  const now = opts.now ?? Date.now;
  const read = opts.read ?? (() => process.memoryUsage());
  const ring: MemorySample[] = [];
  let timer: NodeJS.Timeout | null = null;
  const sample = (): MemorySample => {
    const m = read();
    const s = { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, sampledAt: now() };
    ring.push(s);
    if (ring.length > cap) ring.splice(0, ring.length - cap);
    return s;
  };
  return {
    memorySampleSecs: opts.memorySampleSecs,
    memory: () => ring.at(-1) ?? null,
    memorySamples: () => ring.slice(),
    ...(opts.registries ? { registries: opts.registries } : {}),
    sample,
    start() {
      if (opts.memorySampleSecs <= 0 || timer) return;
      sample();
      timer = setInterval(sample, opts.memorySampleSecs * 1000);
      // A sampler must never keep the process alive on its own.
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
