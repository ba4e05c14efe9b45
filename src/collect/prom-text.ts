/**
 * A reader for the Prometheus text exposition format (and the OpenMetrics additions
 * components emit: exemplars, `# EOF`, `# UNIT`): counters, gauges, histograms, summaries
 * and untyped samples, label escaping, NaN and ±Inf, timestamps, comments.
 *
 * Written here: the npm parsers for this format drop exemplars or fail on them, and
 * kbench needs the raw samples with their label sets to subtract snapshots.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gaugehistogram' | 'info' | 'stateset' | 'unknown';

export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, ...). */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
  exemplar?: Exemplar;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  unit?: string;
  samples: Sample[];
}

export interface ParseResult {
  families: Map<string, MetricFamily>;
  /** Sample lines read, kept or not (a real kube-apiserver serves some 20,000). */
  samples: number;
  /** Lines that could not be read, with their number (1-based). */
  errors: { line: number; message: string }[];
}

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_total', '_created'],
  info: ['_info'],
};

const ALL_SUFFIXES = [...new Set(Object.values(SUFFIXES).flat())];

/** A value as Go's ParseFloat reads it: decimal floats, and NaN/Inf in any case. */
export function parseNumber(s: string): number {
  if (DECIMAL.test(s)) return Number(s);
  switch (s.toLowerCase()) {
    case 'nan':
      return NaN;
    case '+inf':
    case 'inf':
    case '+infinity':
    case 'infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
  }
  throw new Error(`not a number: "${s}"`);
}

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function unescapeHelp(s: string): string {
  // \" is an escape in OpenMetrics only, but never otherwise meaningful in help text.
  return s.replace(/\\(\\|n|")/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Whether a character code may start a label name ([A-Za-z_]), or continue one ([A-Za-z0-9_]). */
function nameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function nameChar(c: number): boolean {
  return nameStart(c) || (c >= 48 && c <= 57);
}

/**
 * Reads `{a="x",b="y"}` starting at `i` (at the `{`); returns the labels and the index after `}`.
 * It scans character codes in place: a kube-apiserver's scrape has tens of thousands of
 * labels, and a regular expression's match object or a search for `\` to the end of the
 * line per label made this most of a short run's parsing.
 */
function readLabels(line: string, i: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let p = i + 1;
  for (;;) {
    let c = line.charCodeAt(p);
    while (c === 32 || c === 9 || c === 44) c = line.charCodeAt(++p); // space, tab, comma
    if (c === 125) return { labels, end: p + 1 }; // }
    if (!nameStart(c)) throw new Error(`bad label name at column ${p + 1}`);
    const from = p;
    while (nameChar(line.charCodeAt(p))) p++;
    const name = line.slice(from, p);
    while (line[p] === ' ' || line[p] === '\t') p++;
    if (line[p] !== '=') throw new Error(`expected "=" after label ${name}`);
    p++;
    while (line[p] === ' ' || line[p] === '\t') p++;
    if (line[p] !== '"') throw new Error(`expected a quoted value for label ${name}`);
    p++;
    let q = p;
    for (c = line.charCodeAt(q); !Number.isNaN(c) && c !== 34 && c !== 92; c = line.charCodeAt(++q)); // to " or \ (NaN: the line's end)
    if (c === 34) {
      // No escape inside: the value is the text up to the quote.
      labels[name] = line.slice(p, q);
      p = q + 1;
      continue;
    }
    let value = line.slice(p, q);
    p = q;
    for (;;) {
      if (p >= line.length) throw new Error(`unterminated value of label ${name}`);
      const ch = line[p]!;
      if (ch === '\\') {
        const n = line[p + 1];
        value += n === 'n' ? '\n' : n === '"' ? '"' : n === '\\' ? '\\' : `\\${n ?? ''}`;
        p += 2;
        continue;
      }
      if (ch === '"') {
        p++;
        break;
      }
      value += ch;
      p++;
    }
    labels[name] = value;
  }
}

/** Whether a line has no white space (or carriage return) at either end to trim. */
function isTrimmed(line: string): boolean {
  const a = line.charCodeAt(0);
  const z = line.charCodeAt(line.length - 1);
  return a > 32 && a < 128 && z > 32 && z < 128;
}

/** The family a sample belongs to: `x` for `x_bucket` of histogram `x`, else its own name. */
function familyOf(sampleName: string, types: Map<string, MetricType>): string {
  for (const suffix of ALL_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = types.get(base);
    if (type && SUFFIXES[type]?.includes(suffix)) return base;
  }
  return sampleName;
}

/**
 * A sample line of a family `keep` does not name, told without parsing it: the name ends at
 * the first `{` or space, and a family's samples are its name plus a known suffix.
 */
function skipSample(line: string, keep: ReadonlySet<string>): boolean {
  const c = line.charCodeAt(0);
  // '#', blank, or indented: the full path decides.
  if (c === 35 || c === 32 || c === 9 || Number.isNaN(c)) return false;
  let end = line.indexOf('{');
  const space = line.indexOf(' ');
  if (end < 0 || (space >= 0 && space < end)) end = space;
  const name = end < 0 ? line : line.slice(0, end);
  if (keep.has(name)) return false;
  for (const suffix of ALL_SUFFIXES) if (name.endsWith(suffix) && keep.has(name.slice(0, -suffix.length))) return false;
  return true;
}

/**
 * Parses the text; with `keep`, only the families it names are kept, and the samples of
 * the others are skipped before their labels are read: a real kube-apiserver's /metrics is
 * near 3 MB, and a collector reads a dozen of its hundreds of families every interval.
 */
export function parsePrometheusText(text: string, keep?: ReadonlySet<string>): ParseResult {
  const families = new Map<string, MetricFamily>();
  let samples = 0;
  const types = new Map<string, MetricType>();
  const errors: ParseResult['errors'] = [];
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: types.get(name) ?? 'untyped', help: '', samples: [] }));
    return f;
  };
  const lines = text.split('\n');
  // OpenMetrics (it ends with # EOF) gives timestamps in seconds; the Prometheus text format in ms.
  const openMetrics = /^[ \t]*# EOF[ \t\r]*$/m.test(text);
  // A sample name's family, once per name (a histogram's buckets repeat it on every line).
  const familyNames = new Map<string, string>();
  for (let n = 0; n < lines.length; n++) {
    if (keep && skipSample(lines[n]!, keep)) {
      samples++;
      continue;
    }
    const raw = lines[n]!;
    const trimmed = isTrimmed(raw) ? raw : raw.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE|UNIT)\s+([A-Za-z_:][A-Za-z0-9_:]*)\s?(.*)$/.exec(trimmed);
      if (!m) continue; // a comment, or # EOF
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        const t = rest.trim() as MetricType;
        types.set(name, t);
        familyNames.clear(); // a family typed after its samples were seen changes what they belong to
        if (!keep || keep.has(name)) family(name).type = t;
      } else if (keep && !keep.has(name)) {
        continue;
      } else if (kind === 'HELP') {
        family(name).help = unescapeHelp(rest);
      } else {
        family(name).unit = rest.trim();
      }
      continue;
    }
    try {
      const nm = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(trimmed);
      if (!nm) throw new Error('expected a metric name');
      const name = nm[0];
      samples++;
      let of = familyNames.get(name);
      if (of === undefined) familyNames.set(name, (of = familyOf(name, types)));
      if (keep && !keep.has(of)) continue;
      let p = name.length;
      while (trimmed[p] === ' ' || trimmed[p] === '\t') p++;
      let labels: Record<string, string> = {};
      if (trimmed[p] === '{') {
        const l = readLabels(trimmed, p);
        labels = l.labels;
        p = l.end;
      }
      let rest = trimmed.slice(p).trim();
      let exemplar: Exemplar | undefined;
      const hash = rest.indexOf('#');
      if (hash >= 0) {
        const ex = rest.slice(hash + 1).trim();
        rest = rest.slice(0, hash).trim();
        if (ex.startsWith('{')) {
          const l = readLabels(ex, 0);
          const parts = ex.slice(l.end).trim().split(/\s+/);
          exemplar = { labels: l.labels, value: parseNumber(parts[0] ?? '') };
          if (parts[1] !== undefined) exemplar.timestampMs = Math.round(parseNumber(parts[1]) * 1000);
        }
      }
      const parts = rest.indexOf(' ') < 0 && rest.indexOf('\t') < 0 ? [rest] : rest.split(/\s+/);
      if (parts.length === 0 || parts[0] === '') throw new Error('missing value');
      if (parts.length > 2) throw new Error(`unexpected "${parts.slice(2).join(' ')}" after the value and timestamp`);
      const sample: Sample = { name, labels, value: parseNumber(parts[0]!) };
      if (parts[1] !== undefined) sample.timestampMs = openMetrics ? Math.round(parseNumber(parts[1]) * 1000) : parseNumber(parts[1]);
      if (exemplar) sample.exemplar = exemplar;
      family(of).samples.push(sample);
    } catch (e) {
      errors.push({ line: n + 1, message: (e as Error).message });
    }
  }
  return { families, samples, errors };
}
