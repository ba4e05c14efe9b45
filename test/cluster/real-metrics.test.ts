import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APF_FAMILIES, ApfRecorder, flowControlPeriod, priorityLevels } from '../../src/collect/apf.js';
import type { FlowControlLevel } from '../../src/results/format.js';
import { FAMILIES, pendingOf } from '../../src/collect/period.js';
import { parsePrometheusText } from '../../src/collect/prom-text.js';
import type { Scrape } from '../../src/collect/readings.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function scrape(component: Scrape['component'], text: string, at: number): Scrape {
  return { source: component, component, at, families: parsePrometheusText(text).families };
}

describe('kube-scheduler v1.37.2 pending queues', () => {
  const text = fixture('kube-scheduler-v1.37.2.prom');

  it('reads all six queues; the pod-group queues count in the total, gated stays apart', () => {
    const p = pendingOf([scrape('scheduler', text, 0)], {});
    expect(p).toEqual({ ok: true, value: { active: 0, backoff: 0, unschedulable: 0, gated: 0, others: { incomplete: 0, pending: 0 }, total: 0 } });
    // The same scrape with pods waiting in every queue (values changed here, lines otherwise real).
    const busy = text
      .replace('queue="active"} 0', 'queue="active"} 3')
      .replace('queue="gated"} 0', 'queue="gated"} 50')
      .replace('queue="incomplete"} 0', 'queue="incomplete"} 7')
      .replace('queue="pending"} 0', 'queue="pending"} 11');
    const b = pendingOf([scrape('scheduler', busy, 0)], {});
    expect(b.ok && b.value).toMatchObject({ active: 3, gated: 50, others: { incomplete: 7, pending: 11 }, total: 21 });
  });

  it('parsing only the families the collector reads keeps them whole and skips the rest', () => {
    const all = parsePrometheusText(text);
    const some = parsePrometheusText(text, new Set([FAMILIES.pending, FAMILIES.attempts]));
    expect(some.samples).toBe(all.samples);
    expect([...some.families.keys()].sort()).toEqual([FAMILIES.pending, FAMILIES.attempts]);
    expect(some.families.get(FAMILIES.pending)).toEqual(all.families.get(FAMILIES.pending));
    expect(some.families.get('scheduler_schedule_attempts')).toBeUndefined();
    expect(all.families.get('go_goroutines')?.samples).toHaveLength(1);
  });
});

describe('API Priority and Fairness from kube-apiserver v1.37.2', () => {
  const start = scrape('apiserver', fixture('kube-apiserver-v1.37.2-apf-start.prom'), 1_000);
  const end = scrape('apiserver', fixture('kube-apiserver-v1.37.2-apf-end.prom'), 61_000);

  it('finds the default priority levels', () => {
    expect(priorityLevels([end])).toEqual(['exempt', 'global-default', 'leader-election', 'node-high', 'system', 'workload-high']);
  });

  it('per level: dispatched is end minus start over every flow schema, no rejections when the counter has no series', () => {
    const r = flowControlPeriod([start], [end], new Map([['global-default', 4]]), {});
    if ('unavailable' in r) throw new Error(r.unavailable);
    const by = (l: string): FlowControlLevel => r.levels.find((x) => x.priorityLevel === l)!;
    expect(by('global-default')).toMatchObject({ dispatched: 444, rejected: {}, inqueueMax: 4 });
    expect(by('global-default').waitMs.count).toBe(444);
    expect(by('global-default').waitMs.bucketsS).toEqual([0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30]);
    expect(by('workload-high').dispatched).toBe(2360 - 364);
    // The first bucket above 0 is 5 ms: a quantile cannot be finer than that; the mean is exact.
    expect(by('global-default').waitMs.p99Ms).toBeGreaterThan(0);
    expect(by('global-default').waitMs.meanMs).toBeLessThan(by('global-default').waitMs.p99Ms!);
  });

  it('is unavailable, with the reason, on an apiserver without APF metrics', () => {
    const plain = scrape('apiserver', '# TYPE apiserver_request_total counter\napiserver_request_total{code="200"} 5\n', 0);
    expect(flowControlPeriod([plain], [plain], new Map(), {})).toEqual({ unavailable: `${APF_FAMILIES.dispatched} not in the apiserver's metrics (API Priority and Fairness off, or not a real kube-apiserver)` });
  });

  it('writes one row per level per interval, a rate of 0 rejections when APF is on and none happened', () => {
    const rows: unknown[][] = [];
    const rs = { appendRow: (_f: string, _c: string[], row: unknown[]) => rows.push(row) } as unknown as Parameters<ApfRecorder['appendRows']>[0];
    const rec = new ApfRecorder({});
    rec.observe([end], 'p');
    rec.appendRows(rs, [start], [end], 61_000, '60.0', 'p');
    const gd = rows.find((r) => r[3] === 'global-default')!;
    // One request executing at the end: the scrape of /metrics itself.
    expect(gd.slice(2, 8)).toEqual(['p', 'global-default', '7.40', '0.00', '0', '1']);
    expect(rows).toHaveLength(6);
    expect(rec.maxima('p').get('global-default')).toBe(0);
  });
});
