/** The Node host's `env.HOST_METRICS`: memory sampled from process.memoryUsage() at most every `memorySampleSecs`. */
import type { HostMetrics, MemorySample } from '../src/metrics.ts';

/** Default sampling interval (seconds); reads within it reuse the last sample. */
export const DEFAULT_MEMORY_SAMPLE_SECS = 15;

/** A sampler with no timer: it re-samples lazily when the last sample is older than the interval. */
export function createHostMetrics(memorySampleSecs = DEFAULT_MEMORY_SAMPLE_SECS, now: () => number = Date.now): HostMetrics {
  let last: MemorySample | null = null;
  return {
    memory() {
      const t = now();
      if (!last || t - last.sampledAt >= memorySampleSecs * 1000) {
        const m = process.memoryUsage();
        last = { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, sampledAt: t };
      }
      return last;
    },
  };
}
