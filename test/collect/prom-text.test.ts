import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type MetricFamily, parseNumber, parsePrometheusText } from '../../src/collect/prom-text.js';

// A real /metrics scrape of etcd 3.4.23 after 300 puts; see test/fixtures/metrics/README.md.
const ETCD = readFileSync(new URL('../fixtures/metrics/etcd-real.prom', import.meta.url), 'utf8');
const WAL = 'etcd_disk_wal_fsync_duration_seconds';
const COMMIT = 'etcd_disk_backend_commit_duration_seconds';

function fam(families: Map<string, MetricFamily>, name: string): MetricFamily {
  const f = families.get(name);
  expect(f, `family ${name}`).toBeDefined();
  return f!;
}

function only(f: MetricFamily, name: string, labels: Record<string, string> = {}): number {
  const hits = f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return hits[0]!.value;
}

describe('parsePrometheusText on a real etcd scrape', () => {
  const { families, errors } = parsePrometheusText(ETCD);

  it('reads every line: no errors, one family per # TYPE line, every sample line kept', () => {
    expect(errors).toEqual([]);
    // Counted from the text itself, not by the parser.
    const typeLines = ETCD.split('\n').filter((l) => l.startsWith('# TYPE '));
    const sampleLines = ETCD.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(typeLines).toHaveLength(123);
    // Every sample belongs to a declared family: no stray families such as "x_bucket" or "x_count".
    expect([...families.keys()].sort()).toEqual(typeLines.map((l) => l.split(' ')[2]).sort());
    for (const l of typeLines) {
      const [, , name, type] = l.split(' ');
      expect(families.get(name!)!.type, name).toBe(type);
      expect(families.get(name!)!.samples.length, name).toBeGreaterThan(0);
    }
    expect([...families.values()].reduce((n, f) => n + f.samples.length, 0)).toBe(sampleLines.length);
  });

  it('groups the WAL fsync and backend commit histograms with their recorded counts', () => {
    for (const [name, count, sum] of [
      [WAL, 307, 0.088651518],
      [COMMIT, 48, 0.034583390000000006],
    ] as const) {
      const f = fam(families, name);
      expect(f.type).toBe('histogram');
      expect(f.help).toMatch(/latency distributions/);
      // 15 buckets (0.001 .. 8.192 doubling, then +Inf), _sum and _count.
      expect(f.samples.filter((s) => s.name === `${name}_bucket`)).toHaveLength(15);
      expect(f.samples).toHaveLength(17);
      expect(only(f, `${name}_count`)).toBe(count);
      expect(only(f, `${name}_sum`)).toBe(sum);
      expect(only(f, `${name}_bucket`, { le: '+Inf' })).toBe(count);
      // None of them leaked into families of their own.
      for (const suffix of ['_bucket', '_sum', '_count']) expect(families.has(name + suffix)).toBe(false);
    }
    const commit = fam(families, COMMIT);
    expect(only(commit, `${COMMIT}_bucket`, { le: '0.001' })).toBe(43);
    expect(only(commit, `${COMMIT}_bucket`, { le: '0.004' })).toBe(47);
  });

  it('in every histogram family of the scrape, the +Inf bucket equals _count for each label set', () => {
    const hists = [...families.values()].filter((f) => f.type === 'histogram');
    expect(hists).toHaveLength(18);
    for (const f of hists) {
      const infs = f.samples.filter((s) => s.name === `${f.name}_bucket` && s.labels.le === '+Inf');
      const counts = f.samples.filter((s) => s.name === `${f.name}_count`);
      expect(infs.length, f.name).toBe(counts.length);
      for (const c of counts) {
        const inf = infs.find((s) => JSON.stringify({ ...s.labels, le: undefined }) === JSON.stringify({ ...c.labels, le: undefined }));
        expect(inf?.value, f.name).toBe(c.value);
      }
      for (const s of f.samples) expect([`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`]).toContain(s.name);
    }
  });

  it('reads gauges with their value and help', () => {
    const db = fam(families, 'etcd_mvcc_db_total_size_in_bytes');
    expect(db.type).toBe('gauge');
    expect(db.help).toBe('Total size of the underlying database physically allocated in bytes.');
    expect(db.samples).toEqual([{ name: 'etcd_mvcc_db_total_size_in_bytes', labels: {}, value: 53248 }]);
    // etcd declares this "_total" as a gauge: it must stay its own family, not a counter "etcd_server_proposals_committed".
    const committed = fam(families, 'etcd_server_proposals_committed_total');
    expect(committed.type).toBe('gauge');
    expect(only(committed, 'etcd_server_proposals_committed_total')).toBe(306);
    expect(families.has('etcd_server_proposals_committed')).toBe(false);
    // A gauge "x" and a counter "x_total" side by side: the counter's sample is not taken for the gauge's.
    expect(fam(families, 'go_memstats_alloc_bytes').samples).toEqual([{ name: 'go_memstats_alloc_bytes', labels: {}, value: 5.50656e6 }]);
    expect(fam(families, 'go_memstats_alloc_bytes_total').samples).toEqual([{ name: 'go_memstats_alloc_bytes_total', labels: {}, value: 1.623692e7 }]);
    expect(only(fam(families, 'etcd_server_has_leader'), 'etcd_server_has_leader')).toBe(1);
  });

  it('groups counters, with and without labels, under their family', () => {
    const put = fam(families, 'etcd_mvcc_put_total');
    expect(put.type).toBe('counter');
    expect(only(put, 'etcd_mvcc_put_total')).toBe(300);

    const handled = fam(families, 'grpc_server_handled_total');
    expect(handled.type).toBe('counter');
    expect(handled.samples.length).toBeGreaterThan(100);
    expect(handled.samples.every((s) => s.name === 'grpc_server_handled_total')).toBe(true);
    expect(only(handled, 'grpc_server_handled_total', { grpc_method: 'Put', grpc_code: 'OK' })).toBe(300);
    const put0 = handled.samples.find((s) => s.labels.grpc_method === 'Put' && s.labels.grpc_code === 'OK')!;
    expect(put0.labels).toEqual({ grpc_code: 'OK', grpc_method: 'Put', grpc_service: 'etcdserverpb.KV', grpc_type: 'unary' });
  });

  it('groups the Go GC summary: quantiles, _sum and _count', () => {
    const gc = fam(families, 'go_gc_duration_seconds');
    expect(gc.type).toBe('summary');
    expect(gc.samples.filter((s) => s.name === 'go_gc_duration_seconds').map((s) => s.labels.quantile)).toEqual(['0', '0.25', '0.5', '0.75', '1']);
    expect(only(gc, 'go_gc_duration_seconds', { quantile: '0' })).toBe(3.5949e-5);
    expect(gc.samples.map((s) => s.name)).toContain('go_gc_duration_seconds_sum');
    expect(gc.samples.map((s) => s.name)).toContain('go_gc_duration_seconds_count');
  });
});

describe('parsePrometheusText on hand-written input', () => {
  it('unescapes quote, backslash and newline in label values, keeping commas and braces inside quotes', () => {
    const text = String.raw`files{path="C:\\tmp\\x",msg="say \"hi\", {ok}",multi="a\nb",empty=""} 1` + '\n';
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(families.get('files')!.samples[0]!.labels).toEqual({ path: 'C:\\tmp\\x', msg: 'say "hi", {ok}', multi: 'a\nb', empty: '' });
  });

  it('reads NaN, +Inf, -Inf and float forms as values', () => {
    const { families, errors } = parsePrometheusText(['a NaN', 'b +Inf', 'c -Inf', 'd 1.5e-3', 'e -2', 'f{x="y"} +Inf'].join('\n'));
    expect(errors).toEqual([]);
    const v = (n: string) => families.get(n)!.samples[0]!.value;
    expect(Number.isNaN(v('a'))).toBe(true);
    expect(v('b')).toBe(Infinity);
    expect(v('c')).toBe(-Infinity);
    expect(v('d')).toBe(0.0015);
    expect(v('e')).toBe(-2);
    expect(v('f')).toBe(Infinity);
  });

  it('parseNumber: special values, and an error for non-numbers', () => {
    expect(Number.isNaN(parseNumber('NaN'))).toBe(true);
    expect(parseNumber('+Inf')).toBe(Infinity);
    expect(parseNumber('-Inf')).toBe(-Infinity);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('-0.25')).toBe(-0.25);
    expect(() => parseNumber('abc')).toThrow(/not a number/);
    expect(() => parseNumber('')).toThrow(/not a number/);
  });

  it('reads millisecond timestamps, and leaves them out when absent', () => {
    const { families, errors } = parsePrometheusText(
      ['http_requests_total{method="post",code="200"} 1027 1395066363000', 'no_ts 5', 'old 3 -1000'].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(families.get('http_requests_total')!.samples[0]).toEqual({
      name: 'http_requests_total',
      labels: { method: 'post', code: '200' },
      value: 1027,
      timestampMs: 1395066363000,
    });
    expect(families.get('no_ts')!.samples[0]!.timestampMs).toBeUndefined();
    expect(families.get('old')!.samples[0]!.timestampMs).toBe(-1000);
  });

  it('unescapes \\\\ and \\n in # HELP', () => {
    const text = [String.raw`# HELP weird_help First line\nsecond line with a backslash \\ here`, '# TYPE weird_help gauge', 'weird_help 1'].join('\n');
    const f = parsePrometheusText(text).families.get('weird_help')!;
    expect(f.help).toBe('First line\nsecond line with a backslash \\ here');
    expect(f.type).toBe('gauge');
  });

  it('skips comments, blank and whitespace-only lines, and CRLF endings', () => {
    const text = ['# a plain comment', '#', '', '   ', '  # an indented comment', '# HELP g A gauge.', '# TYPE g gauge', 'g 1', '', 'h 2', ''].join('\r\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect([...families.keys()].sort()).toEqual(['g', 'h']);
    expect(families.get('g')).toEqual({ name: 'g', type: 'gauge', help: 'A gauge.', samples: [{ name: 'g', labels: {}, value: 1 }] });
    expect(families.get('h')!.samples[0]!.value).toBe(2);
  });

  it('reads OpenMetrics exemplars (timestamp in seconds), # UNIT and # EOF', () => {
    const text = [
      '# TYPE req_seconds histogram',
      '# UNIT req_seconds seconds',
      '# HELP req_seconds Request latency.',
      'req_seconds_bucket{le="0.1"} 3 # {trace_id="abc"} 0.05 1.6e9',
      'req_seconds_bucket{le="1"} 4 # {trace_id="def",span_id="7"} 0.5',
      'req_seconds_bucket{le="+Inf"} 4',
      'req_seconds_sum 0.9',
      'req_seconds_count 4',
      '# EOF',
      '',
    ].join('\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect([...families.keys()]).toEqual(['req_seconds']);
    const f = families.get('req_seconds')!;
    expect(f.type).toBe('histogram');
    expect(f.unit).toBe('seconds');
    expect(f.help).toBe('Request latency.');
    expect(f.samples).toHaveLength(5);
    expect(f.samples[0]).toEqual({
      name: 'req_seconds_bucket',
      labels: { le: '0.1' },
      value: 3,
      exemplar: { labels: { trace_id: 'abc' }, value: 0.05, timestampMs: 1.6e12 },
    });
    expect(f.samples[1]!.value).toBe(4);
    expect(f.samples[1]!.exemplar).toEqual({ labels: { trace_id: 'def', span_id: '7' }, value: 0.5 });
    expect(f.samples[2]!.exemplar).toBeUndefined();
  });

  it('groups summary quantiles, _sum and _count under the summary', () => {
    const text = [
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{service="a",quantile="0.5"} 0.01',
      'rpc_duration_seconds{service="a",quantile="0.99"} 0.5',
      'rpc_duration_seconds_sum{service="a"} 12.5',
      'rpc_duration_seconds_count{service="a"} 100',
    ].join('\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect([...families.keys()]).toEqual(['rpc_duration_seconds']);
    const f = families.get('rpc_duration_seconds')!;
    expect(f.type).toBe('summary');
    expect(f.samples.map((s) => [s.name, s.labels.quantile, s.value])).toEqual([
      ['rpc_duration_seconds', '0.5', 0.01],
      ['rpc_duration_seconds', '0.99', 0.5],
      ['rpc_duration_seconds_sum', undefined, 12.5],
      ['rpc_duration_seconds_count', undefined, 100],
    ]);
  });

  it('keeps untyped samples, and *_count/*_sum names of non-histograms, as families of their own', () => {
    const text = ['# TYPE declared_untyped untyped', 'declared_untyped 1', 'loose_metric{a="b"} 3', '# TYPE queue_count gauge', 'queue_count 4', 'orphan_sum 9', '# TYPE mem_bytes gauge', 'mem_bytes 5', '# TYPE mem_bytes_total counter', 'mem_bytes_total 9'].join('\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect([...families.keys()].sort()).toEqual(['declared_untyped', 'loose_metric', 'mem_bytes', 'mem_bytes_total', 'orphan_sum', 'queue_count']);
    expect(families.get('mem_bytes')!.samples.map((s) => s.value)).toEqual([5]);
    expect(families.get('mem_bytes_total')!.samples.map((s) => s.value)).toEqual([9]);
    expect(families.get('declared_untyped')!.type).toBe('untyped');
    expect(families.get('loose_metric')!.type).toBe('untyped');
    expect(families.get('loose_metric')!.samples[0]).toEqual({ name: 'loose_metric', labels: { a: 'b' }, value: 3 });
    expect(families.get('queue_count')!.type).toBe('gauge');
    expect(families.get('queue_count')!.samples[0]!.value).toBe(4);
  });

  it('groups foo_total and foo_created under a counter declared as "# TYPE foo counter"', () => {
    const text = ['# HELP foo Total foos.', '# TYPE foo counter', 'foo_total{code="200"} 7', 'foo_total{code="500"} 1', 'foo_created{code="200"} 1.6e9'].join('\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect([...families.keys()]).toEqual(['foo']);
    const f = families.get('foo')!;
    expect(f.type).toBe('counter');
    expect(f.help).toBe('Total foos.');
    expect(f.samples.map((s) => [s.name, s.labels.code, s.value])).toEqual([
      ['foo_total', '200', 7],
      ['foo_total', '500', 1],
      ['foo_created', '200', 1.6e9],
    ]);
  });

  it('reports malformed lines with their 1-based number and still reads the others', () => {
    const text = [
      '# TYPE good gauge', // 1
      'good 1', // 2
      'bad_value abc', // 3
      'good_too{a="x"} 2', // 4
      'unterminated{a="x} 3', // 5
      '', // 6
      'no_value', // 7
      'bad_label{1a="x"} 4', // 8
      'last 5', // 9
    ].join('\n');
    const { families, errors } = parsePrometheusText(text);
    expect(errors.map((e) => e.line)).toEqual([3, 5, 7, 8]);
    expect(errors[0]!.message).toMatch(/abc/);
    expect(errors.every((e) => e.message.length > 0)).toBe(true);
    expect([...families.keys()].sort()).toEqual(['good', 'good_too', 'last']);
    expect(families.get('good')!.samples[0]!.value).toBe(1);
    expect(families.get('good_too')!.samples[0]).toEqual({ name: 'good_too', labels: { a: 'x' }, value: 2 });
    expect(families.get('last')!.samples[0]!.value).toBe(5);
  });
});

describe('parsePrometheusText: blanks, special values and OpenMetrics timestamps', () => {
  it('accepts blanks and tabs between the name and the labels and inside the label set', () => {
    const { families, errors } = parsePrometheusText('foo {a="b"} 1\nbar\t{a="b",\tc="d"} 2\n');
    expect(errors).toEqual([]);
    expect(families.get('foo')!.samples[0]).toMatchObject({ labels: { a: 'b' }, value: 1 });
    expect(families.get('bar')!.samples[0]).toMatchObject({ labels: { a: 'b', c: 'd' }, value: 2 });
  });

  it('reads nan and inf in any case, as Go ParseFloat does, and refuses hex and extra tokens', () => {
    expect(parseNumber('nan')).toBeNaN();
    expect(parseNumber('inf')).toBe(Infinity);
    expect(parseNumber('-inf')).toBe(-Infinity);
    expect(() => parseNumber('0x10')).toThrow(/not a number/);
    const { families, errors } = parsePrometheusText('a 1 2 3\nb 4\n');
    expect(errors).toEqual([{ line: 1, message: expect.stringMatching(/unexpected "3"/) as unknown as string }]);
    expect(families.get('b')!.samples[0]!.value).toBe(4);
  });

  it('reads OpenMetrics sample timestamps as seconds and Prometheus text ones as milliseconds', () => {
    const om = parsePrometheusText('# TYPE foo gauge\nfoo 1 1600000000.5\n# EOF\n');
    expect(om.families.get('foo')!.samples[0]!.timestampMs).toBe(1_600_000_000_500);
    const text = parsePrometheusText('# TYPE foo gauge\nfoo 1 1600000000500\n');
    expect(text.families.get('foo')!.samples[0]!.timestampMs).toBe(1_600_000_000_500);
  });

  it('unescapes \\" in help text', () => {
    const { families } = parsePrometheusText('# HELP foo say \\"hi\\"\n# TYPE foo gauge\nfoo 1\n');
    expect(families.get('foo')!.help).toBe('say "hi"');
  });
});
