import type { CallOptions, CallResult, KubeClient } from '../cluster/kube-client.js';
import { collectionPath, objectPath, type ResourceType, typeForResource } from '../cluster/resources.js';
import type { ResolvedPhase } from '../spec/resolve.js';
import { renderTemplate, substitute } from '../spec/template.js';
import type { Random } from '../util/random.js';
import type { TokenBucket } from '../util/token-bucket.js';

export const RUN_LABEL = 'kbench.io/run';
export const WORKLOAD_LABEL = 'kbench.io/workload';
export const PHASE_LABEL = 'kbench.io/phase';

export interface CreatedObject {
  type: ResourceType;
  namespace: string;
  name: string;
}

/** What the actions of one run share. */
export interface RunContext {
  client: KubeClient;
  runId: string;
  workload: string;
  namespaces: string[];
  random: Random;
  /** Objects each create phase made, for the phases that act on them. */
  objects: Map<string, CreatedObject[]>;
  onLimiterWait(ms: number): void;
  onCreateSent(namespace: string, name: string): void;
}

/** An API call behind the phase's rate limiter; the wait is recorded apart from the call. */
export class LimitedApi {
  constructor(
    private readonly ctx: RunContext,
    private readonly limiter: TokenBucket,
  ) {}

  async call(method: string, path: string, opts?: CallOptions): Promise<CallResult> {
    if (!this.limiter.unlimited) this.ctx.onLimiterWait(await this.limiter.take());
    return this.ctx.client.call(method, path, opts);
  }
}

function ok(r: CallResult): boolean {
  return r.status >= 200 && r.status < 300;
}

type Json = Record<string, unknown>;

function withLabels(meta: unknown, labels: Record<string, string>): Json {
  const m = (typeof meta === 'object' && meta !== null ? meta : {}) as Json;
  m.labels = { ...((m.labels as Record<string, string> | undefined) ?? {}), ...labels };
  return m;
}

/** Builds the operation for index i of a phase; resolves false when the API said no. */
export function operationFor(phase: ResolvedPhase, ctx: RunContext, api: LimitedApi): (i: number) => Promise<boolean> {
  const p = phase.spec;
  const labels = { [RUN_LABEL]: ctx.runId, [WORKLOAD_LABEL]: ctx.workload, [PHASE_LABEL]: phase.name };

  if (phase.create) {
    const c = phase.create;
    const made: CreatedObject[] = [];
    ctx.objects.set(phase.name, made);
    return async (i) => {
      const namespace = ctx.namespaces[c.namespaceOf[i] ?? 0]!;
      const name = `${phase.name}-${i}`;
      const random = Array.from({ length: 5 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[ctx.random.int(36)]).join('');
      const obj = renderTemplate(c.template.text, {
        index: i,
        name,
        namespace,
        runId: ctx.runId,
        workload: ctx.workload,
        phase: phase.name,
        random,
        ...c.vars,
      });
      const meta = withLabels(obj.metadata, labels);
      meta.name ??= name;
      meta.namespace = namespace;
      obj.metadata = meta;
      // Pods made by workloads carry the run labels too, so the tracker sees them.
      const spec = obj.spec as Json | undefined;
      if (spec && typeof spec.template === 'object' && spec.template !== null) {
        const tpl = spec.template as Json;
        tpl.metadata = withLabels(tpl.metadata, labels);
      }
      if (c.type.kind === 'Pod') ctx.onCreateSent(namespace, String(meta.name));
      const res = await api.call('POST', collectionPath(c.type, namespace), { body: obj });
      if (ok(res)) made.push({ type: c.type, namespace, name: String(meta.name) });
      return ok(res);
    };
  }

  const objectsOf = (from: string): CreatedObject[] => ctx.objects.get(from) ?? [];

  if (p.get) {
    const from = p.get.from;
    return async (i) => {
      const objs = objectsOf(from);
      if (objs.length === 0) return false;
      const o = objs[i % objs.length]!;
      return ok(await api.call('GET', objectPath(o.type, o.namespace, o.name)));
    };
  }

  if (p.list) {
    const l = p.list;
    const type = typeForResource(l.resource)!;
    const limit = l.limit ?? 500;
    return async (i) => {
      const ns = type.namespaced && (l.scope ?? 'namespace') === 'namespace' ? ctx.namespaces[i % Math.max(1, ctx.namespaces.length)] : undefined;
      let cont = '';
      // Every page is read, as a client listing the whole collection would.
      do {
        const query: Record<string, string> = {};
        if (limit > 0) query.limit = String(limit);
        if (cont) query.continue = cont;
        if (l.labelSelector) query.labelSelector = l.labelSelector;
        const res = await api.call('GET', collectionPath(type, ns), { query });
        if (!ok(res)) return false;
        cont = limit > 0 ? ((JSON.parse(res.body) as { metadata?: { continue?: string } }).metadata?.continue ?? '') : '';
      } while (cont);
      return true;
    };
  }

  if (p.patch) {
    const { from, type = 'merge', body } = p.patch;
    const contentType = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' }[type];
    const bodyText = JSON.stringify(body);
    return async (i) => {
      const objs = objectsOf(from);
      if (objs.length === 0) return false;
      const o = objs[i % objs.length]!;
      const rendered = substitute(bodyText, { index: i, name: o.name, namespace: o.namespace, runId: ctx.runId, workload: ctx.workload, phase: phase.name });
      return ok(await api.call('PATCH', objectPath(o.type, o.namespace, o.name), { body: rendered, contentType }));
    };
  }

  if (p.update) {
    const u = p.update;
    return async (i) => {
      const objs = objectsOf(u.from);
      if (objs.length === 0) return false;
      const o = objs[i % objs.length]!;
      const path = objectPath(o.type, o.namespace, o.name);
      // Read-modify-write; a conflict with a controller's write is retried, as clients do.
      for (let attempt = 0; attempt < 5; attempt++) {
        const got = await api.call('GET', path);
        if (!ok(got)) return false;
        const obj = JSON.parse(got.body) as { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };
        if (u.labels) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...u.labels };
        if (u.annotations) obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...u.annotations };
        const put = await api.call('PUT', path, { body: obj });
        if (put.status !== 409) return ok(put);
      }
      return false;
    };
  }

  if (p.scale) {
    const s = p.scale;
    return async (i) => {
      const objs = objectsOf(s.from);
      if (objs.length === 0) return false;
      const o = objs[i % objs.length]!;
      return ok(
        await api.call('PATCH', objectPath(o.type, o.namespace, o.name, 'scale'), {
          body: { spec: { replicas: s.replicas } },
          contentType: 'application/merge-patch+json',
        }),
      );
    };
  }

  if (p.delete) {
    const d = p.delete;
    const options: Json = { propagationPolicy: d.propagationPolicy ?? 'Background' };
    if (d.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = d.gracePeriodSeconds;
    return async (i) => {
      const objs = objectsOf(d.from);
      if (i >= objs.length) return false;
      const o = objs[i]!;
      const res = await api.call('DELETE', objectPath(o.type, o.namespace, o.name), { body: options });
      return ok(res) || res.status === 404;
    };
  }

  throw new Error(`phase ${phase.name} has no API action`);
}
