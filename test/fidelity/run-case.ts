import { parsePrometheusText } from '../../src/collect/prom-text.js';
import { ApiClient, type Answer } from './api-client.js';
import { type Case, CONTENT_TYPES, type MetricsStep, type Request, type Step, type WatchStep } from './case-types.js';
import { differences, normalise, pick, reorder, setPath } from './normalise.js';

/** One control plane as the suite reaches it. */
export interface Target {
  name: 'real' | 'sim';
  api: ApiClient;
  /** the scheduler's and etcd's /metrics (the apiserver's is `api` GET /metrics) */
  metrics: { scheduler: { url: string; token?: string }; etcd?: { url: string } };
  /** `{node0}`, `{node1}`...: the names that differ by target (kwok-node-0, sim-node-0000) */
  vars: Record<string, string>;
}

/** A deadline for conditions that controllers and nodes bring about: generous, never a pace. */
const EVENTUALLY_MS = 180_000;

type Saved = Map<string, unknown>;
const VARS = '\0vars';

function template(text: string, ns: string, saved: Saved): string {
  let out = text.replaceAll('{ns}', ns);
  for (const [k, v] of Object.entries(saved.get(VARS) as Record<string, string>)) out = out.replaceAll(`{${k}}`, v);
  return out.replace(/\$\{([A-Za-z0-9_]+)\.([^}]+)\}/g, (_m, name: string, path: string) => {
    const v = pick(saved.get(name), path);
    if (v === undefined) throw new Error(`\${${name}.${path}} is not in a saved answer`);
    return String(v);
  });
}

function bodyOf(step: Request, ns: string, saved: Saved): unknown {
  let body: unknown = step.body;
  if (step.from) {
    const base = structuredClone(saved.get(step.from));
    if (typeof base !== 'object' || base === null) throw new Error(`no saved answer '${step.from}'`);
    for (const [p, v] of Object.entries(step.set ?? {})) setPath(base as Record<string, unknown>, p, v === null ? null : JSON.parse(template(JSON.stringify(v), ns, saved)));
    body = base;
  }
  if (body === undefined) return undefined;
  const filled: unknown = typeof body === 'string' ? template(body, ns, saved) : JSON.parse(template(JSON.stringify(body), ns, saved));
  return step.reorder ? reorder(filled) : filled;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function reached(v: unknown, u: NonNullable<Request['until']>): boolean {
  if (u.present !== undefined) return (v !== undefined) === u.present;
  if (u.includes !== undefined) return Array.isArray(v) && v.some((x) => JSON.stringify(x) === JSON.stringify(u.includes));
  return JSON.stringify(v) === JSON.stringify(u.equals);
}

async function send(t: Target, step: Request, ns: string, saved: Saved): Promise<Answer> {
  const path = template(step.path, ns, saved);
  const type = CONTENT_TYPES[step.type ?? (step.method === 'PATCH' ? 'merge' : 'json')];
  if (!step.until) return t.api.request(step.method, path, bodyOf(step, ns, saved), type, step.accept);
  const deadline = Date.now() + EVENTUALLY_MS;
  for (;;) {
    const a = await t.api.request(step.method, path, bodyOf(step, ns, saved), type, step.accept);
    if (reached(pick(a.body, step.until.field), step.until) || Date.now() > deadline) return a;
    await sleep(250);
  }
}

function observeAnswer(step: Request, a: Answer): unknown {
  const compare = step.compare ?? 'all';
  const body = normalise(a.body);
  if (compare === 'none') return a.status >= 200 && a.status < 300 ? 'ok' : { setupFailed: a.status, body };
  if (compare === 'code') return { code: a.status };
  if (compare === 'reason') {
    const s = (typeof body === 'object' && body !== null ? body : { text: a.text }) as Record<string, unknown>;
    return { code: a.status, kind: s.kind, status: s.status, reason: s.reason, details: s.details, statusCode: s.code };
  }
  if (compare === 'all') return { code: a.status, body };
  return { code: a.status, ...Object.fromEntries(compare.fields.map((f) => [f, pick(body, f)])) };
}

async function observeWatch(t: Target, step: WatchStep, ns: string, saved: Saved): Promise<unknown> {
  const w = t.api.watch(template(step.watch, ns, saved));
  try {
    const opened = Date.now();
    while (w.status === 0 && !w.ended && Date.now() - opened < EVENTUALLY_MS) await sleep(20);
    for (const r of step.then ?? []) await send(t, r, ns, saved);
    const bookmarkAt = (): number => w.events.findIndex((e) => e.type === 'BOOKMARK');
    await w.waitFor((ev) => (step.untilBookmark ? bookmarkAt() >= 0 : ev.length >= (step.events ?? 1)), EVENTUALLY_MS);
    const events = step.untilBookmark ? w.events.slice(0, bookmarkAt() + 1) : w.events.slice(0, step.events ?? 1);
    return { code: w.status, events: events.map((e) => [e.type, ...step.fields.map((f) => pick(normalise(e.object), f))]) };
  } finally {
    w.stop();
  }
}

/** A family as a collector sees it: type, label names, bucket bounds. */
async function observeMetrics(t: Target, step: MetricsStep): Promise<unknown> {
  let text: string;
  if (step.metrics === 'apiserver') text = (await t.api.request('GET', '/metrics')).text;
  else if (step.metrics === 'scheduler') text = (await ApiClient.fetchText(t.metrics.scheduler.url, t.api.creds.caPem, t.metrics.scheduler.token)).text;
  else text = t.metrics.etcd ? (await ApiClient.fetchText(t.metrics.etcd.url, undefined, undefined)).text : '';
  const f = parsePrometheusText(text).families.get(step.family);
  if (!f) return { family: 'absent' };
  const labels = new Set<string>();
  const bounds = new Set<string>();
  for (const s of f.samples) {
    for (const k of Object.keys(s.labels)) if (k !== 'le') labels.add(k);
    if (s.labels.le !== undefined) bounds.add(s.labels.le);
  }
  return { type: f.type, labels: [...labels].sort(), buckets: [...bounds].sort((a, b) => Number(a) - Number(b)) };
}

async function observeStep(t: Target, step: Step, ns: string, saved: Saved): Promise<unknown> {
  if ('watch' in step) return observeWatch(t, step, ns, saved);
  if ('metrics' in step) return observeMetrics(t, step);
  const a = await send(t, step, ns, saved);
  if (step.save) saved.set(step.save, a.body);
  return observeAnswer(step, a);
}

function stepsOf(c: Case): Step[] {
  return 'steps' in c ? c.steps : [c as Step];
}

async function observeCase(t: Target, c: Case, ns: string): Promise<unknown[]> {
  const saved: Saved = new Map([[VARS, t.vars]]);
  const out: unknown[] = [];
  for (const step of stepsOf(c)) out.push(await observeStep(t, step, ns, saved));
  return out;
}

export interface Outcome {
  id: string;
  agree: boolean;
  /** where real and sim differ, as `path: real X / sim Y` lines */
  diff: string[];
}

/** Runs one case on both targets at once and compares what each step observed. */
export async function runCase(real: Target, sim: Target, c: Case, ns: string): Promise<Outcome> {
  const [r, s] = await Promise.all([observeCase(real, c, ns), observeCase(sim, c, ns)]);
  const diff: string[] = [];
  r.forEach((x, i) => diff.push(...differences(x, s[i]).map((d) => `step ${i + 1}: ${d}`)));
  return { id: c.id, agree: diff.length === 0, diff };
}
