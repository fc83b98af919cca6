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
    const text = renderMetrics({ memory: () => ({ rssBytes: 1e8, heapUsedBytes: 2e7, heapTotalBytes: 3e7, externalBytes: 1e6, sampledAt: 1_700_000_000_000 }) });
    const fam = parsePrometheusText(text);
    expect(fam.get('edgeclaw_http_requests_total')!.samples).toContainEqual({ labels: { route: '/healthz', class: '2xx' }, value: 1 });
    expect(fam.get('edgeclaw_defender_decisions_total')!.samples[0]!.labels.kind).toBe('cmd "quoted"\\\n');
    expect(fam.get('edgeclaw_process_resident_memory_bytes')).toMatchObject({ type: 'gauge', samples: [{ value: 1e8 }] });
  });

  it('omits host gauges when the host provides none (Workers)', () => {
    expect(renderMetrics()).not.toContain('resident_memory');
  });
});
