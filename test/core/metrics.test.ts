// src/metrics.ts: bounded counters, route labels and the exposition text.
import { describe, expect, it } from 'vitest';
import { Counter, MAX_SERIES, METRICS, recordHttp, renderMetrics, routeLabel } from '../../src/metrics.ts';
import { parsePrometheusText } from './prom-text.ts';

describe('metrics', () => {
  it('folds label sets beyond the cap into "other"', () => {
    const c = new Counter('t_total', 'test', ['k']);
    for (let i = 0; i < MAX_SERIES + 10; i++) c.inc({ k: `v${i}` });
    const lines = c.render().filter((l) => !l.startsWith('#'));
    expect(lines).toHaveLength(MAX_SERIES + 1);
    expect(c.get({ k: 'other' })).toBe(10);
  });

  it('labels routes from a fixed list so arbitrary paths stay bounded', () => {
    expect(routeLabel('/')).toBe('/');
    expect(routeLabel('/sessions/agent:main:main/history')).toBe('/sessions');
    expect(routeLabel('/rpc/methods')).toBe('/rpc');
    expect(routeLabel('/wp-admin/x.php')).toBe('other');
    expect(routeLabel('/rpcx')).toBe('other');
  });

  it('renders valid text format with escaped labels and host memory gauges', () => {
    recordHttp('/healthz', 204);
    METRICS.defenderDecisions.inc({ kind: 'cmd "quoted"\\\n', decision: 'review' });
    const latest = { rssBytes: 1e8, heapUsedBytes: 2e7, heapTotalBytes: 3e7, externalBytes: 1e6, sampledAt: 1_700_000_000_000 };
    const older = { ...latest, rssBytes: 1.5e8, sampledAt: 1_699_999_970_000 };
    const text = renderMetrics({ memorySampleSecs: 30, memory: () => latest, memorySamples: () => [older, latest] });
    const fam = parsePrometheusText(text);
    expect(fam.get('edgeclaw_http_requests_total')!.samples).toContainEqual({ labels: { route: '/healthz', class: '2xx' }, value: 1 });
    expect(fam.get('edgeclaw_defender_decisions_total')!.samples[0]!.labels.kind).toBe('cmd "quoted"\\\n');
    expect(fam.get('edgeclaw_process_resident_memory_bytes')).toMatchObject({ type: 'gauge', samples: [{ value: 1e8 }] });
    expect(fam.get('edgeclaw_process_resident_memory_peak_bytes')).toMatchObject({ type: 'gauge', samples: [{ value: 1.5e8 }] });
    expect(fam.get('edgeclaw_memory_sample_interval_seconds')).toMatchObject({ type: 'gauge', samples: [{ value: 30 }] });
  });

  it('omits memory gauges when sampling is off (runtime.memorySampleSecs = 0)', () => {
    expect(renderMetrics({ memorySampleSecs: 0, memory: () => null, memorySamples: () => [] })).not.toContain('memory');
  });

  it('omits host gauges when the host provides none (Workers)', () => {
    expect(renderMetrics()).not.toContain('resident_memory');
  });
});
