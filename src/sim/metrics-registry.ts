/**
 * Counters, gauges and histograms in the Prometheus text format, for the sim's components.
 *
 * Written here rather than with prom-client because these sit on the request path of a
 * server doing thousands of writes per second: a child bound to its label values is looked
 * up once and then costs an increment (counter) or a binary search (histogram), where
 * prom-client hashes the label object on every observation (about a tenth of the cost of a
 * pod create in the sim's profile).
 */

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return goFloat(v);
}

/**
 * strconv.FormatFloat(v, 'g', -1, 64), as client_golang writes values and bucket bounds:
 * the shortest digits, in exponent form when the exponent is below -4 or at least 6
 * (1e+06, 2.5e-05; 100000 and 0.0001 stay as they are).
 */
export function goFloat(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return String(v);
}

interface Family {
  render(): string;
}

abstract class Metric<Child> implements Family {
  readonly #children = new Map<string, { values: string[]; child: Child }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected abstract make(): Child;
  protected abstract renderChild(values: string[], child: Child): string[];
  protected abstract readonly type: string;

  /** The child for these label values, in `labelNames` order. Keep it: lookups cost. */
  labels(...values: string[]): Child {
    const key = values.join('\u0000');
    let e = this.#children.get(key);
    if (!e) {
      e = { values, child: this.make() };
      this.#children.set(key, e);
    }
    return e.child;
  }

  render(): string {
    // As client_golang gathers: a vector with no series yet is left out of the exposition.
    if (this.labelNames.length > 0 && this.#children.size === 0) return '';
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, child } of this.#children.values()) lines.push(...this.renderChild(values, child));
    return lines.join('\n');
  }
}

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Metric<CounterChild> {
  protected readonly type = 'counter';
  protected make(): CounterChild {
    return new CounterChild();
  }
  protected renderChild(values: string[], c: CounterChild): string[] {
    return [`${this.name}${labelText(this.labelNames, values)} ${num(c.value)}`];
  }
}

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
}

export class Gauge extends Metric<GaugeChild> {
  protected readonly type = 'gauge';
  protected make(): GaugeChild {
    return new GaugeChild();
  }
  protected renderChild(values: string[], g: GaugeChild): string[] {
    return [`${this.name}${labelText(this.labelNames, values)} ${num(g.value)}`];
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    // First bucket whose upper bound is >= v (buckets are cumulative only when rendered).
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bounds[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.counts.length) this.counts[lo]!++;
    this.sum += v;
    this.count++;
  }
}

export class Histogram extends Metric<HistogramChild> {
  protected readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }
  protected make(): HistogramChild {
    return new HistogramChild(this.buckets);
  }
  protected renderChild(values: string[], h: HistogramChild): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += h.counts[i]!;
      out.push(`${this.name}_bucket${labelText(this.labelNames, values, `le="${num(b)}"`)} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${h.count}`);
    out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${num(h.sum)}`);
    out.push(`${this.name}_count${labelText(this.labelNames, values)} ${h.count}`);
    return out;
  }
}

export class MetricsRegistry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly #families: Family[] = [];
  readonly #beforeScrape: (() => void)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs before each scrape, to refresh gauges that are cheaper to compute on demand. */
  onScrape(fn: () => void): void {
    this.#beforeScrape.push(fn);
  }

  text(): string {
    for (const fn of this.#beforeScrape) fn();
    return (
      this.#families
        .map((f) => f.render())
        .filter((t) => t !== '')
        .join('\n\n') + '\n'
    );
  }

  #add<T extends Family>(f: T): T {
    this.#families.push(f);
    return f;
  }
}
