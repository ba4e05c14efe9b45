import { describe, expect, it } from 'vitest';
import { classifyRequest } from '../../src/cluster/request-key.js';
import { phaseSummaries, podPhases, type PodRecord } from '../../src/measure/pod-phases.js';
import { decodeHistogram, encodeHistogram, exactStats, histogramMean, histogramStatsMs, newLatencyHistogram } from '../../src/measure/stats.js';
import { TokenBucket } from '../../src/util/token-bucket.js';
import { Random } from '../../src/util/random.js';

describe('percentiles', () => {
  it('exact samples: nearest rank on a known distribution', () => {
    const s = exactStats(Array.from({ length: 1000 }, (_, i) => 1000 - i))!;
    expect(s).toEqual({ count: 1000, min: 1, p50: 500, p90: 900, p99: 990, max: 1000, mean: 500.5 });
    expect(exactStats([7])).toEqual({ count: 1, min: 7, p50: 7, p90: 7, p99: 7, max: 7, mean: 7 });
    expect(exactStats([])).toBeUndefined();
  });

  it('HDR histograms: within 0.1% on a uniform distribution, and merge exactly after encoding', () => {
    const h = newLatencyHistogram();
    // 1..100000 µs: 1 µs .. 100 ms uniform.
    for (let us = 1; us <= 100_000; us++) h.recordValue(us);
    const s = histogramStatsMs(h)!;
    expect(s.count).toBe(100_000);
    expect(s.p50).toBeCloseTo(50, 1);
    expect(Math.abs(s.p99 - 99) / 99).toBeLessThan(0.001);
    expect(Math.abs(s.max - 100) / 100).toBeLessThan(0.001);
    const copy = decodeHistogram(encodeHistogram(h));
    copy.add(h);
    expect(copy.totalCount).toBe(200_000);
    expect(copy.getValueAtPercentile(99)).toBe(h.getValueAtPercentile(99));
  });

  it('a log-normal sample: HDR and exact agree to 0.1%', () => {
    const r = new Random(42);
    const samples = Array.from({ length: 20000 }, () => {
      const u = 1 - r.next();
      const v = r.next();
      return Math.exp(3 + 0.8 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    });
    const exact = exactStats(samples)!;
    const h = newLatencyHistogram();
    for (const ms of samples) h.recordValue(Math.round(ms * 1000));
    const approx = histogramStatsMs(h)!;
    for (const k of ['p50', 'p90', 'p99'] as const) expect(Math.abs(approx[k] - exact[k]) / exact[k]).toBeLessThan(0.002);
  });

  it("the one-pass mean is the library's mean, on a wide sample and after a decode", () => {
    const r = new Random(7);
    const h = newLatencyHistogram();
    // 1 µs to about 20 minutes, so the histogram resizes and many buckets are empty.
    for (let i = 0; i < 5000; i++) h.recordValueWithCount(Math.round(Math.exp(r.next() * 21)), 1 + Math.floor(r.next() * 3));
    expect(histogramMean(h)).toBeCloseTo(h.mean, 6);
    const copy = decodeHistogram(encodeHistogram(h));
    expect(histogramMean(copy)).toBeCloseTo(copy.mean, 6);
    expect(histogramMean(newLatencyHistogram())).toBe(0);
  });
});

describe('pod phases from 1-second server stamps', () => {
  const base: PodRecord = {
    uid: 'u', namespace: 'n', name: 'p', phase: 'x', node: 'n1',
    createSent: 0, created: 0, scheduledServer: 0, startedServer: 0, readyServer: 0,
    firstSeen: 0, firstSeenLive: false, scheduledSeen: 0, runningSeen: 0, readySeen: 0, deletedSeen: 0, late: 0,
  };

  it('prefers the client create time and never returns a negative phase silently', () => {
    const p = { ...base, createSent: 10_000.25, created: 10_000, scheduledSeen: 10_100.5, startedServer: 11_000, runningSeen: 10_900, readySeen: 10_950 };
    const ph = podPhases(p);
    expect(ph.pod_startup).toBeCloseTo(899.75, 5);
    expect(ph.create_to_schedule).toBeCloseTo(100.25, 5);
    // startedAt (server, rounded to a later second) after the client saw Running: clamped, counted.
    expect(ph.run_to_watch).toBe(0);
    expect(ph.clamped).toEqual(['run_to_watch']);
    expect(podPhases({ ...base, created: 10_000 }).pod_startup).toBeUndefined();
  });
});

describe('request keys', () => {
  it('classify like the apiserver: LIST vs GET, WATCH, scope', () => {
    expect(classifyRequest('GET', '/api/v1/namespaces/a/pods', undefined)).toEqual({ verb: 'LIST', resource: 'pods', subresource: '', scope: 'namespace' });
    expect(classifyRequest('GET', '/api/v1/pods', new URLSearchParams('watch=true'))).toMatchObject({ verb: 'WATCH', scope: 'cluster' });
    expect(classifyRequest('POST', '/apis/apps/v1/namespaces/a/deployments', undefined)).toMatchObject({ verb: 'POST', resource: 'deployments', scope: 'resource' });
    expect(classifyRequest('PATCH', '/apis/apps/v1/namespaces/a/deployments/d/scale', undefined)).toMatchObject({ subresource: 'scale', scope: 'resource' });
    expect(classifyRequest('GET', '/api/v1/namespaces/a', undefined)).toMatchObject({ verb: 'GET', resource: 'namespaces', scope: 'resource' });
  });
});

describe('token bucket', () => {
  it('lets a burst through, then paces at qps, reporting each wait', async () => {
    let t = 0;
    const b = new TokenBucket(10, 3, () => t);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) waits.push(await b.take());
    expect(waits).toEqual([0, 0, 0]);
    const pending = b.take();
    expect(b.waiting).toBe(1);
    t = 100; // one token per 100 ms at 10 qps
    await new Promise((r) => setTimeout(r, 150));
    expect(await pending).toBe(100);
    expect(new TokenBucket(0, 1).unlimited).toBe(true);
  });

  it('ends a wait when the caller aborts, without taking a token from those still waiting', async () => {
    let t = 0;
    const b = new TokenBucket(10, 1, () => t);
    await b.take();
    const stopping = new AbortController();
    const aborted = b.take(stopping.signal);
    const kept = b.take();
    expect(b.waiting).toBe(2);
    stopping.abort(new Error('component stopped'));
    await expect(aborted).rejects.toThrow('component stopped');
    expect(b.waiting).toBe(1);
    t = 100;
    await new Promise((r) => setTimeout(r, 150));
    expect(await kept).toBe(100);
    await expect(b.take(stopping.signal)).rejects.toThrow('component stopped');
  });
});

describe('phaseSummaries', () => {
  const pod = (i: number, over: Partial<PodRecord> = {}): PodRecord => ({
    uid: `u${i}`, namespace: 'ns', name: `p${i}`, phase: 'deployments', node: 'n1',
    createSent: 1000, created: 1000, scheduledServer: 0, startedServer: 0, readyServer: 0,
    firstSeen: 1000, firstSeenLive: true, scheduledSeen: 1000 + 10 * i, runningSeen: 1000 + 100 * i, readySeen: 0, deletedSeen: 0, late: 0,
    ...over,
  });

  it('counts only the pods that reached a phase, and its percentiles are exact over them', () => {
    // 100 pods started 100..10,000 ms after their create; 3 more never ran (no pod_startup).
    const pods = new Map<string, PodRecord>();
    for (let i = 1; i <= 100; i++) pods.set(`p${i}`, pod(i));
    for (let i = 101; i <= 103; i++) pods.set(`p${i}`, pod(i, { runningSeen: 0 }));
    const { phases, starts } = phaseSummaries({ size: pods.size, values: () => pods.values() });
    expect(phases.pod_startup).toMatchObject({ count: 100, min: 100, p50: 5000, p90: 9000, p99: 9900, max: 10000, mean: 5050 });
    expect(phases.create_to_schedule).toMatchObject({ count: 103, min: 10, max: 1030 });
    expect(phases.create_to_ready).toMatchObject({ count: 0 });
    expect(starts).toEqual({ create_sent: 103 });
  });
});
