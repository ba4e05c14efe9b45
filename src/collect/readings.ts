import { type Histogram, histogramQuantile, histogramsOf, mergeHistograms, subtract } from './histogram.js';
import type { MetricFamily } from './prom-text.js';
import type { Component, HistogramSummary } from '../results/format.js';

/** One source's metrics at one moment, or why there are none. */
export interface Scrape {
  source: string;
  component: Component;
  /** Wall clock, ms since the epoch. */
  at: number;
  families?: Map<string, MetricFamily>;
  error?: string;
}

/** A value, or the reason there is none: never a zero standing in for "unknown". */
export type Reading<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Reading<T> => ({ ok: true, value });
const no = <T>(reason: string): Reading<T> => ({ ok: false, reason });

/** Why a component has no readings when no source serves it (e.g. "storage is memory"). */
export type MissingComponents = Partial<Record<Component, string>>;

function scrapesOf(set: readonly Scrape[], component: Component, missing: MissingComponents): Reading<Scrape[]> {
  const of = set.filter((s) => s.component === component);
  if (of.length === 0) return no(missing[component] ?? `no ${component} metrics source`);
  const good = of.filter((s) => s.families);
  if (good.length === 0) return no(of.map((s) => `source ${s.source}: ${s.error ?? 'no scrape'}`).join('; '));
  return ok(good);
}

function familyIn(s: Scrape, names: readonly string[]): MetricFamily | undefined {
  for (const n of names) {
    const f = s.families?.get(n);
    if (f && f.samples.length > 0) return f;
  }
  return undefined;
}

export interface PeriodHistograms {
  /** The family that was read (the first of the names the sources have). */
  family: string;
  /** Merged histograms by group key. */
  groups: Map<string, Histogram>;
}

/**
 * What a histogram family recorded between two scrape sets (end minus start, per source
 * and label set, then summed by `group`), as increase() over the period would in PromQL.
 * `names` are tried in order (the SLI histogram, then its fallback).
 */
export function periodHistograms(
  start: readonly Scrape[],
  end: readonly Scrape[],
  component: Component,
  names: readonly string[],
  missing: MissingComponents,
  group: (labels: Record<string, string>) => string | undefined = () => '',
): Reading<PeriodHistograms> {
  const ends = scrapesOf(end, component, missing);
  if (!ends.ok) return ends;
  const starts = scrapesOf(start, component, missing);
  if (!starts.ok) return no(`no scrape at the start of the period (${starts.reason})`);
  let family: string | undefined;
  const parts = new Map<string, Histogram[]>();
  for (const e of ends.value) {
    const s = starts.value.find((x) => x.source === e.source);
    if (!s) continue;
    const fe = familyIn(e, family ? [family] : names);
    if (!fe) continue;
    family = fe.name;
    const before = new Map(histogramsOf(s.families?.get(fe.name)).map((h) => [labelKey(h.labels), h]));
    for (const h of histogramsOf(fe)) {
      const key = group(h.labels);
      if (key === undefined) continue;
      const d = subtract(h, before.get(labelKey(h.labels)));
      const list = parts.get(key) ?? [];
      list.push(d);
      parts.set(key, list);
    }
  }
  if (!family) {
    const sources = ends.value.map((s) => s.source).join(', ');
    return no(`${names.join(' / ')} not in the metrics of ${sources}`);
  }
  const groups = new Map<string, Histogram>();
  for (const [k, hs] of parts) groups.set(k, mergeHistograms(hs)!);
  return ok({ family, groups });
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

export function summarize(h: Histogram): HistogramSummary {
  const out: HistogramSummary = { count: h.count };
  if (h.count <= 0) return out;
  const q = (p: number): number | undefined => {
    const v = histogramQuantile(p, h.buckets);
    return Number.isFinite(v) ? round3(v * 1000) : undefined;
  };
  const p50 = q(0.5);
  const p90 = q(0.9);
  const p99 = q(0.99);
  if (p50 !== undefined) out.p50Ms = p50;
  if (p90 !== undefined) out.p90Ms = p90;
  if (p99 !== undefined) out.p99Ms = p99;
  out.meanMs = round3((h.sum / h.count) * 1000);
  const finite = h.buckets.filter((b) => Number.isFinite(b.le));
  const highest = finite[finite.length - 1];
  if (highest && h.count * 0.99 > highest.count) out.p99AboveHighestBucket = true;
  return out;
}

/** The family of a counter, whether the source names it `x` or `x_total` (OpenMetrics). */
function counterFamily(s: Scrape, name: string): MetricFamily | undefined {
  return s.families?.get(name) ?? s.families?.get(name.replace(/_total$/, ''));
}

/** Sum of the matching samples; a series that never happened (no 429 yet) counts as 0. */
function counterSum(f: MetricFamily, name: string, match: (l: Record<string, string>) => boolean): number {
  let v = 0;
  for (const x of f.samples) if ((x.name === name || x.name === `${name}_total`) && match(x.labels)) v += x.value;
  return v;
}

/** How much a counter grew between two scrape sets, over every source (a reset counts from zero). */
export function counterIncrease(
  start: readonly Scrape[],
  end: readonly Scrape[],
  component: Component,
  name: string,
  missing: MissingComponents,
  match: (l: Record<string, string>) => boolean = () => true,
): Reading<number> {
  const ends = scrapesOf(end, component, missing);
  if (!ends.ok) return ends;
  let total: number | undefined;
  let absent = true;
  for (const e of ends.value) {
    const fe = counterFamily(e, name);
    if (!fe) continue;
    absent = false;
    const s = start.find((x) => x.source === e.source && x.families);
    if (!s) continue;
    const after = counterSum(fe, name, match);
    const fs = counterFamily(s, name);
    const before = fs ? counterSum(fs, name, match) : 0;
    total = (total ?? 0) + (after >= before ? after - before : after);
  }
  if (absent) return no(`${name} not in the metrics of ${ends.value.map((x) => x.source).join(', ')}`);
  if (total === undefined) return no('no scrape at the start of the period');
  return ok(total);
}

/** A gauge's value summed over the matching samples of every source of the component. */
export function gaugeValue(
  set: readonly Scrape[],
  component: Component,
  name: string,
  missing: MissingComponents,
  match: (l: Record<string, string>) => boolean = () => true,
  combine: 'sum' | 'max' = 'sum',
): Reading<number> {
  const scrapes = scrapesOf(set, component, missing);
  if (!scrapes.ok) return scrapes;
  let value: number | undefined;
  for (const s of scrapes.value) {
    const f = s.families?.get(name);
    if (!f) continue;
    for (const x of f.samples) {
      if (!match(x.labels)) continue;
      value = value === undefined ? x.value : combine === 'sum' ? value + x.value : Math.max(value, x.value);
    }
  }
  if (value === undefined) return no(`${name} not in the metrics of ${scrapes.value.map((s) => s.source).join(', ')}`);
  return ok(value);
}
