import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Bucket, type Histogram, histogramQuantile, histogramsOf, mergeHistograms, subtract } from '../../src/collect/histogram.js';
import { parsePrometheusText } from '../../src/collect/prom-text.js';

// A real /metrics scrape of etcd 3.4.23 after 300 puts; see test/fixtures/metrics/README.md.
const ETCD = readFileSync(new URL('../fixtures/metrics/etcd-real.prom', import.meta.url), 'utf8');
const WAL = 'etcd_disk_wal_fsync_duration_seconds';
const COMMIT = 'etcd_disk_backend_commit_duration_seconds';

const b = (pairs: [number, number][]): Bucket[] => pairs.map(([le, count]) => ({ le, count }));
const h = (pairs: [number, number][], sum: number, labels: Record<string, string> = {}): Histogram => {
  const buckets = b(pairs);
  return { labels, buckets, sum, count: buckets[buckets.length - 1]!.count };
};

function histogramOf(text: string, name: string): Histogram {
  const { families, errors } = parsePrometheusText(text);
  expect(errors).toEqual([]);
  const hs = histogramsOf(families.get(name));
  expect(hs).toHaveLength(1);
  return hs[0]!;
}

describe('histogramQuantile (PromQL histogram_quantile semantics)', () => {
  // Cumulative: 10 observations <= 0.1, 10 in (0.1,0.2], 20 in (0.2,0.4], none above.
  const B = b([
    [0.1, 10],
    [0.2, 20],
    [0.4, 40],
    [Infinity, 40],
  ]);

  it('interpolates linearly inside the bucket the rank falls in', () => {
    // q=0.5: rank 0.5*40 = 20 = count of le=0.2 exactly -> bucket (0.1,0.2]: 0.1 + 0.1*(20-10)/10 = 0.2
    expect(histogramQuantile(0.5, B)).toBeCloseTo(0.2, 12);
    // q=0.99: rank 39.6 -> bucket (0.2,0.4]: 0.2 + 0.2*(39.6-20)/20 = 0.2 + 0.196 = 0.396
    expect(histogramQuantile(0.99, B)).toBeCloseTo(0.396, 12);
    // q=0.75: rank 30 -> bucket (0.2,0.4]: 0.2 + 0.2*(30-20)/20 = 0.3
    expect(histogramQuantile(0.75, B)).toBeCloseTo(0.3, 12);
    // q=1: rank 40 -> first bucket with count >= 40 is le=0.4: 0.2 + 0.2*20/20 = 0.4
    expect(histogramQuantile(1, B)).toBeCloseTo(0.4, 12);
  });

  it('interpolates from 0 in the first bucket', () => {
    // q=0.1: rank 4 -> bucket (0,0.1]: 0 + 0.1*4/10 = 0.04
    expect(histogramQuantile(0.1, B)).toBeCloseTo(0.04, 12);
    // q=0.25: rank 10 -> 0.1*10/10 = 0.1
    expect(histogramQuantile(0.25, B)).toBeCloseTo(0.1, 12);
    // q=0: rank 0 -> 0.1*0/10 = 0
    expect(histogramQuantile(0, B)).toBeCloseTo(0, 12);
  });

  it('returns the first bound when it is <= 0 and the rank falls in the first bucket', () => {
    // 5 observations <= -1, 5 in (0,1]. q=0.25: rank 2.5 -> first bucket, bound -1 <= 0 -> -1
    const neg = b([
      [-1, 5],
      [0, 5],
      [1, 10],
      [Infinity, 10],
    ]);
    expect(histogramQuantile(0.25, neg)).toBe(-1);
    // q=0.75: rank 7.5 -> bucket (0,1]: 0 + 1*(7.5-5)/5 = 0.5
    expect(histogramQuantile(0.75, neg)).toBeCloseTo(0.5, 12);
  });

  it('returns the highest finite bound when the rank falls in the +Inf bucket', () => {
    // 20 of 40 observations above 0.2. q=0.75: rank 30 > 20 -> +Inf bucket -> 0.2
    const tail = b([
      [0.1, 10],
      [0.2, 20],
      [Infinity, 40],
    ]);
    expect(histogramQuantile(0.75, tail)).toBe(0.2);
    expect(histogramQuantile(0.99, tail)).toBe(0.2);
    // q=0.4: rank 16 -> (0.1,0.2]: 0.1 + 0.1*6/10 = 0.16
    expect(histogramQuantile(0.4, tail)).toBeCloseTo(0.16, 12);
  });

  it('does not depend on the order the buckets come in', () => {
    const shuffled = [B[2]!, B[3]!, B[0]!, B[1]!];
    expect(histogramQuantile(0.99, shuffled)).toBeCloseTo(0.396, 12);
    expect(histogramQuantile(0.1, shuffled)).toBeCloseTo(0.04, 12);
  });

  it('NaN with nothing to go on: no observations, fewer than 2 buckets, no +Inf bucket, q NaN', () => {
    expect(histogramQuantile(0.5, b([[0.1, 0], [Infinity, 0]]))).toBeNaN();
    // Also when the first bound is <= 0 (which would otherwise be returned as is).
    expect(histogramQuantile(0.5, b([[0, 0], [1, 0], [Infinity, 0]]))).toBeNaN();
    expect(histogramQuantile(0.5, b([[Infinity, 5]]))).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
    expect(histogramQuantile(0.5, b([[0.1, 5], [0.2, 10]]))).toBeNaN();
    expect(histogramQuantile(NaN, B)).toBeNaN();
  });

  it('q < 0 gives -Inf and q > 1 gives +Inf', () => {
    expect(histogramQuantile(-0.1, B)).toBe(-Infinity);
    expect(histogramQuantile(1.01, B)).toBe(Infinity);
    // Even when there is nothing to go on, as PromQL.
    expect(histogramQuantile(-1, [])).toBe(-Infinity);
    expect(histogramQuantile(2, [])).toBe(Infinity);
  });

  it('fixes up non-monotonic counts (a scrape racing an update) as PromQL does', () => {
    // le=0.2 reads 8 < 10: taken as 10 -> counts 10,10,40,40. q=0.5: rank 20 -> (0.2,0.4]:
    // 0.2 + 0.2*(20-10)/(40-10) = 0.2 + 0.0666.. = 0.26667 (left as is: 0.2 + 0.2*(20-8)/32 = 0.275)
    const dip = b([
      [0.1, 10],
      [0.2, 8],
      [0.4, 40],
      [Infinity, 40],
    ]);
    expect(histogramQuantile(0.5, dip)).toBeCloseTo(0.2 + 0.2 / 3, 12);
    // +Inf reads 15 < 20: taken as 20 observations. q=0.5: rank 10 -> (0,0.1]: 0.1*10/10 = 0.1
    // (left as is: rank 7.5 -> 0.075)
    const lowInf = b([
      [0.1, 10],
      [0.2, 20],
      [Infinity, 15],
    ]);
    expect(histogramQuantile(0.5, lowInf)).toBeCloseTo(0.1, 12);
    // q=0.75: rank 15 -> (0.1,0.2]: 0.1 + 0.1*(15-10)/10 = 0.15
    expect(histogramQuantile(0.75, lowInf)).toBeCloseTo(0.15, 12);
  });

  it('does not modify the buckets it is given', () => {
    const dip = b([
      [0.4, 40],
      [0.2, 8],
      [0.1, 10],
      [Infinity, 40],
    ]);
    const copy = structuredClone(dip);
    histogramQuantile(0.5, dip);
    expect(dip).toEqual(copy);
  });
});

describe('histogramsOf', () => {
  it('one histogram per label set, le removed from the labels, buckets sorted, +Inf as Infinity', () => {
    const text = [
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{verb="GET",le="+Inf"} 4',
      'lat_seconds_bucket{verb="GET",le="0.5"} 3',
      'lat_seconds_bucket{verb="GET",le="0.1"} 1',
      'lat_seconds_sum{verb="GET"} 1.2',
      'lat_seconds_count{verb="GET"} 4',
      'lat_seconds_bucket{le="0.1",verb="PUT"} 2',
      'lat_seconds_bucket{le="0.5",verb="PUT"} 2',
      'lat_seconds_bucket{le="+Inf",verb="PUT"} 2',
      'lat_seconds_sum{verb="PUT"} 0.1',
      'lat_seconds_count{verb="PUT"} 2',
    ].join('\n');
    const hs = histogramsOf(parsePrometheusText(text).families.get('lat_seconds'));
    expect(hs).toEqual([
      { labels: { verb: 'GET' }, buckets: b([[0.1, 1], [0.5, 3], [Infinity, 4]]), sum: 1.2, count: 4 },
      { labels: { verb: 'PUT' }, buckets: b([[0.1, 2], [0.5, 2], [Infinity, 2]]), sum: 0.1, count: 2 },
    ]);
    expect(histogramsOf(undefined)).toEqual([]);
  });

  it('reads the real etcd WAL fsync and backend commit histograms', () => {
    const wal = histogramOf(ETCD, WAL);
    expect(wal.labels).toEqual({});
    expect(wal.count).toBe(307);
    expect(wal.sum).toBe(0.088651518);
    expect(wal.buckets.map((x) => x.le)).toEqual([0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, Infinity]);
    expect(wal.buckets.at(-1)!.count).toBe(307);
    // 305 of 307 fsyncs <= 1 ms. q=0.5: rank 153.5 -> (0,0.001]: 0.001*153.5/305 = 0.000503279
    expect(histogramQuantile(0.5, wal.buckets)).toBeCloseTo(0.001 * (153.5 / 305), 12);
    // q=0.99: rank 303.93 -> still (0,0.001]: 0.001*303.93/305 = 0.00099649
    expect(histogramQuantile(0.99, wal.buckets)).toBeCloseTo(0.001 * (303.93 / 305), 12);

    const commit = histogramOf(ETCD, COMMIT);
    expect(commit.count).toBe(48);
    // counts 43 (<=1ms), 46 (<=2ms), 47 (<=4ms), 48 (<=8ms). q=0.99: rank 47.52 -> (0.004,0.008]:
    // 0.004 + 0.004*(47.52-47)/(48-47) = 0.004 + 0.00208 = 0.00608
    expect(histogramQuantile(0.99, commit.buckets)).toBeCloseTo(0.00608, 12);
    // q=0.9: rank 43.2 -> (0.001,0.002]: 0.001 + 0.001*(43.2-43)/(46-43) = 0.0010667
    expect(histogramQuantile(0.9, commit.buckets)).toBeCloseTo(0.001 + 0.001 * (0.2 / 3), 12);
  });
});

describe('subtract and mergeHistograms', () => {
  const start = h(
    [
      [0.1, 10],
      [0.2, 20],
      [0.4, 40],
      [Infinity, 40],
    ],
    6,
    { op: 'put' },
  );
  const end = h(
    [
      [0.1, 12],
      [0.2, 30],
      [0.4, 60],
      [Infinity, 70],
    ],
    20,
    { op: 'put' },
  );

  it('end minus start, bucket by bucket, and the quantile of what happened in between', () => {
    const d = subtract(end, start);
    expect(d.labels).toEqual({ op: 'put' });
    expect(d.buckets).toEqual(b([[0.1, 2], [0.2, 10], [0.4, 20], [Infinity, 30]]));
    expect(d.count).toBe(30);
    expect(d.sum).toBeCloseTo(14, 12);
    // rank 0.5*30 = 15 -> (0.2,0.4]: 0.2 + 0.2*(15-10)/(20-10) = 0.3
    // (end alone would give rank 35 -> 0.2 + 0.2*(35-30)/30 = 0.2333)
    expect(histogramQuantile(0.5, d.buckets)).toBeCloseTo(0.3, 12);
    // rank 27 > 20 -> +Inf bucket -> 0.4
    expect(histogramQuantile(0.9, d.buckets)).toBe(0.4);
    // The inputs are left alone.
    expect(start.buckets[1]!.count).toBe(20);
    expect(end.buckets[1]!.count).toBe(30);
  });

  it('a counter reset (end count < start count) gives end unchanged, as counted from zero', () => {
    const restarted = h(
      [
        [0.1, 1],
        [0.2, 2],
        [0.4, 3],
        [Infinity, 3],
      ],
      0.5,
      { op: 'put' },
    );
    const copy = structuredClone(restarted);
    expect(subtract(restarted, start)).toEqual(copy);
  });

  it('with no start snapshot (the series appeared during the run) gives end', () => {
    expect(subtract(end, undefined)).toEqual(structuredClone(end));
  });

  it('no change between snapshots: zero counts and a NaN quantile', () => {
    const d = subtract(end, end);
    expect(d.count).toBe(0);
    expect(d.buckets.every((x) => x.count === 0)).toBe(true);
    expect(histogramQuantile(0.99, d.buckets)).toBeNaN();
  });

  it('mergeHistograms sums counts by le, with sum and count', () => {
    const a = h(
      [
        [0.1, 1],
        [0.2, 3],
        [Infinity, 4],
      ],
      0.5,
      { node: 'a' },
    );
    const c = h(
      [
        [Infinity, 5],
        [0.1, 2],
        [0.2, 2],
      ],
      1,
      { node: 'c' },
    );
    c.count = 5;
    const m = mergeHistograms([a, c], { job: 'etcd' })!;
    expect(m).toEqual({ labels: { job: 'etcd' }, buckets: b([[0.1, 3], [0.2, 5], [Infinity, 9]]), sum: 1.5, count: 9 });
    // rank 4.5 -> (0.1,0.2]: 0.1 + 0.1*(4.5-3)/(5-3) = 0.175
    expect(histogramQuantile(0.5, m.buckets)).toBeCloseTo(0.175, 12);
    expect(mergeHistograms([])).toBeUndefined();
    expect(mergeHistograms([a])!.buckets).toEqual(a.buckets);
  });

  it('two scrapes of real etcd: the quantile of the observations made between them', () => {
    // Second scrape: 3 more WAL fsyncs of 3 ms (bucket (0.002,0.004]) and 2 of 10 ms ((0.008,0.016]).
    const later = ETCD.split('\n')
      .map((line) => {
        const bucket = new RegExp(`^${WAL}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
        if (bucket) {
          const le = bucket[1] === '+Inf' ? Infinity : Number(bucket[1]);
          const add = (le >= 0.004 ? 3 : 0) + (le >= 0.016 ? 2 : 0);
          return `${WAL}_bucket{le="${bucket[1]}"} ${Number(bucket[2]) + add}`;
        }
        if (line.startsWith(`${WAL}_count `)) return `${WAL}_count ${Number(line.split(' ')[1]) + 5}`;
        if (line.startsWith(`${WAL}_sum `)) return `${WAL}_sum ${Number(line.split(' ')[1]) + 0.029}`;
        return line;
      })
      .join('\n');
    expect(later).not.toBe(ETCD);

    const before = histogramOf(ETCD, WAL);
    const after = histogramOf(later, WAL);
    expect(after.count).toBe(312);
    const d = subtract(after, before);
    expect(d.count).toBe(5);
    expect(d.sum).toBeCloseTo(0.029, 9);
    expect(d.buckets.slice(0, 5)).toEqual(b([[0.001, 0], [0.002, 0], [0.004, 3], [0.008, 3], [0.016, 5]]));
    expect(d.buckets.at(-1)).toEqual({ le: Infinity, count: 5 });
    // q=0.5: rank 2.5 -> (0.002,0.004]: 0.002 + 0.002*2.5/3 = 0.0036667
    expect(histogramQuantile(0.5, d.buckets)).toBeCloseTo(0.002 + 0.002 * (2.5 / 3), 12);
    // q=0.9: rank 4.5 -> (0.008,0.016]: 0.008 + 0.008*(4.5-3)/(5-3) = 0.014
    expect(histogramQuantile(0.9, d.buckets)).toBeCloseTo(0.014, 12);
    // The whole second scrape is dominated by the 305 sub-millisecond fsyncs: rank 156 -> 0.001*156/305
    expect(histogramQuantile(0.5, after.buckets)).toBeCloseTo(0.001 * (156 / 305), 12);

    // The backend commit histogram did not move: nothing happened, no quantile.
    const commit = subtract(histogramOf(later, COMMIT), histogramOf(ETCD, COMMIT));
    expect(commit.count).toBe(0);
    expect(histogramQuantile(0.99, commit.buckets)).toBeNaN();
  });
});

describe('histogramQuantile with repeated bounds', () => {
  it('treats buckets with the same bound as one, as PromQL coalesces them', () => {
    // le 0.1 holds 5+5 = 10 of 10 observations: rank 5 falls in (0, 0.1] -> 0.1 * 5/10 = 0.05.
    expect(histogramQuantile(0.5, [
      { le: 0.1, count: 5 },
      { le: 0.1, count: 5 },
      { le: Infinity, count: 10 },
    ])).toBeCloseTo(0.05, 9);
  });
});
