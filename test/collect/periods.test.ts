import { describe, expect, it } from 'vitest';
import { pendingOf, serverPeriod, maxPending } from '../../src/collect/period.js';
import { parsePrometheusText } from '../../src/collect/prom-text.js';
import { counterIncrease, type Scrape } from '../../src/collect/readings.js';
import { serverVerdicts } from '../../src/collect/server-slo.js';
import type { Component } from '../../src/collect/sources.js';
import { known } from '../../src/results/format.js';
import { DEFAULT_SLO } from '../../src/spec/resolve.js';

function scrape(source: string, component: Component, at: number, text: string): Scrape {
  return { source, component, at, families: parsePrometheusText(text).families };
}

function failed(source: string, component: Component, at: number, error: string): Scrape {
  return { source, component, at, error };
}

const fsync = (b1: number, b2: number, inf: number, sum: number): string => `# TYPE etcd_disk_wal_fsync_duration_seconds histogram
etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} ${b1}
etcd_disk_wal_fsync_duration_seconds_bucket{le="0.002"} ${b2}
etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} ${inf}
etcd_disk_wal_fsync_duration_seconds_sum ${sum}
etcd_disk_wal_fsync_duration_seconds_count ${inf}
`;

describe('a period between two scrape sets', () => {
  it('subtracts the start from the end, so what etcd did before the period does not count', () => {
    // Before: 1000 fast fsyncs since etcd started. In the period: 100 more, all in (1 ms, 2 ms].
    const start = [scrape('etcd', 'etcd', 0, fsync(1000, 1000, 1000, 0.5))];
    const end = [scrape('etcd', 'etcd', 10_000, fsync(1000, 1100, 1100, 0.65))];
    const p = serverPeriod(start, end, { pending: [], dbSize: [] }, {}, DEFAULT_SLO);
    const h = known(p.etcd.walFsync)!;
    // rank 99 of 100 in (1, 2] ms: 1 + 1 * 99/100 = 1.99 ms. Cumulatively since start it would be ~1 ms.
    expect(h.count).toBe(100);
    expect(h.p99Ms).toBeCloseTo(1.99, 6);
    expect(h.p50Ms).toBeCloseTo(1.5, 6);
    expect(h.meanMs).toBeCloseTo(1.5, 6);
    // The bucket bounds come from the scrape, for compare's "within one bucket" floor.
    expect(h.bucketsS).toEqual([0.001, 0.002]);
  });

  it("judges etcd by its worst member: one on a fast disk does not dilute one on a slow disk", () => {
    const start = [scrape('etcd-a', 'etcd', 0, fsync(0, 0, 0, 0)), scrape('etcd-b', 'etcd', 0, fsync(0, 0, 0, 0))];
    const end = [scrape('etcd-a', 'etcd', 1000, fsync(50, 50, 50, 0.025)), scrape('etcd-b', 'etcd', 1000, fsync(0, 50, 50, 0.075))];
    const p = serverPeriod(start, end, { pending: [], dbSize: [] }, {}, DEFAULT_SLO);
    const h = known(p.etcd.walFsync)!;
    // Summed, the p99 would be 1.98 ms over 100 fsyncs and the median the 1 ms bound; etcd-b
    // alone has all its 50 in (1, 2] ms.
    expect(h).toMatchObject({ member: 'etcd-b', members: 2, count: 50 });
    expect(h.p99Ms).toBeCloseTo(1.99, 6);
    expect(h.p50Ms).toBeCloseTo(1.5, 6);
    // The verdict names the member it judged.
    const v = serverVerdicts(p, {}, DEFAULT_SLO).verdicts.find((x) => x.id === 'etcd_wal_fsync_p99')!;
    expect(v.description).toBe('etcd WAL fsync p99 (the worst of 2 members: etcd-b)');
    expect(v.value).toBeCloseTo(1.99, 6);
  });

  it('says why a measurement is unavailable instead of giving 0', () => {
    const start = [scrape('api', 'apiserver', 0, '# TYPE up gauge\nup 1\n'), failed('etcd', 'etcd', 0, 'cannot reach http://10.0.0.1:2381/metrics: ECONNREFUSED')];
    const end = [scrape('api', 'apiserver', 1000, '# TYPE up gauge\nup 1\n'), failed('etcd', 'etcd', 1000, 'cannot reach http://10.0.0.1:2381/metrics: ECONNREFUSED')];
    const p = serverPeriod(start, end, { pending: [], dbSize: [] }, { scheduler: 'no scheduler metrics source configured' }, DEFAULT_SLO);
    expect(p.etcd.walFsync).toEqual({ unavailable: 'source etcd: cannot reach http://10.0.0.1:2381/metrics: ECONNREFUSED' });
    expect(p.scheduler.binds).toEqual({ unavailable: 'no scheduler metrics source configured' });
    expect(p.apiserver.latency).toEqual({ unavailable: 'apiserver_request_sli_duration_seconds / apiserver_request_duration_seconds not in the metrics of api' });
    expect(p.apiserver.requests).toEqual({ unavailable: 'apiserver_request_total not in the metrics of api' });
    expect(p.scheduler.pendingMax).toEqual({ unavailable: 'no scheduler scrape in this period' });
  });

  it('groups server API latency by (verb, resource, subresource, scope) and leaves watches out', () => {
    const sli = (n: number): string => `# TYPE apiserver_request_sli_duration_seconds histogram
apiserver_request_sli_duration_seconds_bucket{verb="POST",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",le="0.05"} ${n}
apiserver_request_sli_duration_seconds_bucket{verb="POST",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",le="+Inf"} ${n}
apiserver_request_sli_duration_seconds_sum{verb="POST",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver"} ${n * 0.01}
apiserver_request_sli_duration_seconds_count{verb="POST",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver"} ${n}
apiserver_request_sli_duration_seconds_bucket{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver",le="0.05"} 0
apiserver_request_sli_duration_seconds_bucket{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver",le="+Inf"} ${n}
apiserver_request_sli_duration_seconds_sum{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver"} ${n * 0.2}
apiserver_request_sli_duration_seconds_count{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver"} ${n}
`;
    const p = serverPeriod([scrape('api', 'apiserver', 0, sli(10))], [scrape('api', 'apiserver', 1000, sli(30))], { pending: [], dbSize: [] }, {}, DEFAULT_SLO);
    const latency = known(p.apiserver.latency)!;
    expect(latency.bucketsS).toEqual([0.05]);
    const keys = latency.keys;
    expect(keys.map((k) => [k.key, k.count, k.thresholdMs])).toEqual([
      ['LIST pods cluster', 20, 30_000],
      ['POST pods resource', 20, 1000],
    ]);
    // Every LIST is above the highest bound: the p99 is that bound, flagged as a lower limit.
    expect(keys[0]).toMatchObject({ p99Ms: 50, p99AboveHighestBucket: true });
    expect(keys[1]!.p99Ms).toBeCloseTo(49.5, 6);
  });

  it('counts requests by code, including codes that never happened as 0, and survives a restart', () => {
    const total = (ok: number, throttled?: number): string =>
      `# TYPE apiserver_request_total counter\napiserver_request_total{verb="POST",code="201"} ${ok}\n${throttled !== undefined ? `apiserver_request_total{verb="POST",code="429"} ${throttled}\n` : ''}`;
    const start = [scrape('api', 'apiserver', 0, total(500))];
    const end = [scrape('api', 'apiserver', 1000, total(800, 7))];
    expect(counterIncrease(start, end, 'apiserver', 'apiserver_request_total', {})).toEqual({ ok: true, value: 307 });
    expect(counterIncrease(start, end, 'apiserver', 'apiserver_request_total', {}, (l) => l.code === '429')).toEqual({ ok: true, value: 7 });
    expect(counterIncrease(start, end, 'apiserver', 'apiserver_request_total', {}, (l) => l.code === '504')).toEqual({ ok: true, value: 0 });
    // The apiserver restarted: 40 since the restart.
    expect(counterIncrease(start, [scrape('api', 'apiserver', 1000, total(40))], 'apiserver', 'apiserver_request_total', {})).toEqual({ ok: true, value: 40 });
  });
});

describe('the scheduler pending queue', () => {
  const pending = (a: number, b: number, u: number, gated?: number): Scrape =>
    scrape(
      'scheduler',
      'scheduler',
      0,
      `# TYPE scheduler_pending_pods gauge
scheduler_pending_pods{queue="active"} ${a}
scheduler_pending_pods{queue="backoff"} ${b}
scheduler_pending_pods{queue="unschedulable"} ${u}
${gated !== undefined ? `scheduler_pending_pods{queue="gated"} ${gated}\n` : ''}`,
    );

  it('totals active, backoff and unschedulable, not gated, and takes the max per queue over a period', () => {
    const a = pendingOf([pending(30, 5, 2, 400)], {});
    expect(a).toEqual({ ok: true, value: { active: 30, backoff: 5, unschedulable: 2, gated: 400, total: 37 } });
    // A scheduler older than 1.26 has no gated queue.
    const b = pendingOf([pending(90, 0, 20)], {});
    expect(b).toEqual({ ok: true, value: { active: 90, backoff: 0, unschedulable: 20, total: 110 } });
    expect(maxPending([a, b, { ok: false, reason: 'scrape failed' }])).toEqual({ ok: true, value: { active: 90, backoff: 5, unschedulable: 20, gated: 400, total: 110 } });
  });

  it('is unavailable when the queue gauge is missing', () => {
    expect(pendingOf([scrape('scheduler', 'scheduler', 0, '# TYPE up gauge\nup 1\n')], {})).toEqual({ ok: false, reason: 'scheduler_pending_pods not in the metrics of scheduler' });
  });
});
