import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallOptions, CallResult, KubeClient } from '../../src/cluster/kube-client.js';
import { ACTION_FACTORIES, LimitedApi, type RunContext } from '../../src/load/actions/index.js';
import { compileTemplate, renderTemplate } from '../../src/spec/template.js';
import { Random } from '../../src/util/random.js';
import { TokenBucket } from '../../src/util/token-bucket.js';
import { readdirSync, readFileSync } from 'node:fs';
import { workloadFromYaml as workload } from '../helpers/workload.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Sent {
  method: string;
  path: string;
  opts: CallOptions;
}

/** A cluster that answers from a script: each call gets the next answer for its method (default 200 {}). */
function fakeClient(answers: Partial<Record<string, CallResult[]>> = {}): { client: KubeClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    async call(method: string, p: string, opts: CallOptions = {}): Promise<CallResult> {
      sent.push({ method, path: p, opts });
      return answers[method]?.shift() ?? { status: method === 'POST' ? 201 : 200, body: '{}', headers: {} };
    },
  } as unknown as KubeClient;
  return { client, sent };
}

function context(client: KubeClient): RunContext {
  return { client, runId: 'r1', workload: 'w', namespaces: ['ns-0', 'ns-1'], random: new Random(1), objects: new Map(), onLimiterWait: () => undefined, onCreateSent: () => undefined };
}

const W = `name: w
namespaces: {maxPodsPerNamespace: 40}
phases:
  - name: deploys
    create: {template: TEMPLATES/deployment.yaml, count: 3, vars: {replicas: 20, image: pause, cpu: 10m, memory: 8Mi}}
  - name: reads
    get: {from: deploys}
  - name: lists
    list: {resource: pods, count: 2, limit: 1}
  - name: annotate
    patch: {from: deploys, type: strategic, body: {metadata: {annotations: {i: "{{index}}"}}}}
  - name: relabel
    update: {from: deploys, labels: {tier: web}}
  - name: down
    scale: {from: deploys, replicas: 0}
  - name: gone
    delete: {from: deploys}
`;

describe('load actions', () => {
  const w = workload(W);
  const api = (ctx: RunContext): LimitedApi => new LimitedApi(ctx, new TokenBucket(0, 1));

  it('create: the template with the run labels on the object and its pod template, in the planned namespace', async () => {
    const { client, sent } = fakeClient();
    const ctx = context(client);
    const op = ACTION_FACTORIES.create(w.phases[0]!, ctx, api(ctx));
    for (let i = 0; i < 3; i++) expect(await op(i)).toBe(true);
    // 40 pods per namespace, 20 per Deployment: two in ns-0, the third in ns-1.
    expect(sent.map((s) => s.path)).toEqual(['/apis/apps/v1/namespaces/ns-0/deployments', '/apis/apps/v1/namespaces/ns-0/deployments', '/apis/apps/v1/namespaces/ns-1/deployments']);
    const body = sent[2]!.opts.body as { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: { replicas: number; template: { metadata: { labels: Record<string, string> } } } };
    expect(body.metadata).toMatchObject({ name: 'deploys-2', namespace: 'ns-1', labels: { 'kbench.io/run': 'r1', 'kbench.io/workload': 'w', 'kbench.io/phase': 'deploys' } });
    expect(body.spec.replicas).toBe(20);
    expect(body.spec.template.metadata.labels).toMatchObject({ app: 'deploys-2', 'kbench.io/run': 'r1' });
    expect(ctx.objects.get('deploys')!.map((o) => `${o.namespace}/${o.name}`)).toEqual(['ns-0/deploys-0', 'ns-0/deploys-1', 'ns-1/deploys-2']);
  });

  it('create: a refused create says why, and is not an object later phases act on', async () => {
    const { client } = fakeClient({ POST: [{ status: 422, body: JSON.stringify({ kind: 'Status', reason: 'Invalid', message: 'spec.replicas: Invalid value' }), headers: {} }] });
    const ctx = context(client);
    const op = ACTION_FACTORIES.create(w.phases[0]!, ctx, api(ctx));
    expect(await op(0)).toBe('create Deployment ns-0/deploys-0: 422 Invalid: spec.replicas: Invalid value');
    expect(ctx.objects.get('deploys')).toEqual([]);
  });

  async function withObjects(): Promise<{ ctx: RunContext; sent: Sent[]; answers: Partial<Record<string, CallResult[]>> }> {
    const answers: Partial<Record<string, CallResult[]>> = {};
    const { client, sent } = fakeClient(answers);
    const ctx = context(client);
    const create = ACTION_FACTORIES.create(w.phases[0]!, ctx, api(ctx));
    for (let i = 0; i < 3; i++) await create(i);
    sent.length = 0;
    return { ctx, sent, answers };
  }

  it('get, patch, scale and delete act on the objects of the create phase, with their content types', async () => {
    const { ctx, sent, answers } = await withObjects();
    await ACTION_FACTORIES.get(w.phases[1]!, ctx, api(ctx))(4);
    await ACTION_FACTORIES.patch(w.phases[3]!, ctx, api(ctx))(1);
    await ACTION_FACTORIES.scale(w.phases[5]!, ctx, api(ctx))(2);
    answers.DELETE = [{ status: 404, body: '{}', headers: {} }];
    expect(await ACTION_FACTORIES.delete(w.phases[6]!, ctx, api(ctx))(0)).toBe(true);
    expect(sent.map((s) => [s.method, s.path, s.opts.contentType ?? ''])).toEqual([
      ['GET', '/apis/apps/v1/namespaces/ns-0/deployments/deploys-1', ''],
      ['PATCH', '/apis/apps/v1/namespaces/ns-0/deployments/deploys-1', 'application/strategic-merge-patch+json'],
      ['PATCH', '/apis/apps/v1/namespaces/ns-1/deployments/deploys-2/scale', 'application/merge-patch+json'],
      ['DELETE', '/apis/apps/v1/namespaces/ns-0/deployments/deploys-0', ''],
    ]);
    expect(JSON.parse(sent[1]!.opts.body as string)).toEqual({ metadata: { annotations: { i: '1' } } });
    expect(sent[3]!.opts.body).toEqual({ propagationPolicy: 'Background' });
  });

  it('update: read-modify-write, retried on a conflict with a controller', async () => {
    const { ctx, sent, answers } = await withObjects();
    const obj = JSON.stringify({ metadata: { name: 'deploys-0', labels: { app: 'x' }, resourceVersion: '5' } });
    answers.GET = [{ status: 200, body: obj, headers: {} }, { status: 200, body: obj, headers: {} }];
    answers.PUT = [{ status: 409, body: '{}', headers: {} }];
    expect(await ACTION_FACTORIES.update(w.phases[4]!, ctx, api(ctx))(0)).toBe(true);
    expect(sent.map((s) => s.method)).toEqual(['GET', 'PUT', 'GET', 'PUT']);
    expect((sent[3]!.opts.body as { metadata: { labels: Record<string, string> } }).metadata.labels).toEqual({ app: 'x', tier: 'web' });
  });

  it('list: reads every page, round robin over the run namespaces', async () => {
    const { client, sent } = fakeClient({
      GET: [
        { status: 200, body: JSON.stringify({ metadata: { continue: 'c1' }, items: [] }), headers: {} },
        { status: 200, body: JSON.stringify({ metadata: {}, items: [] }), headers: {} },
      ],
    });
    const ctx = context(client);
    const op = ACTION_FACTORIES.list(w.phases[2]!, ctx, api(ctx));
    expect(await op(0)).toBe(true);
    expect(await op(1)).toBe(true);
    expect(sent.map((s) => `${s.path}?${new URLSearchParams(s.opts.query as Record<string, string>).toString()}`)).toEqual([
      '/api/v1/namespaces/ns-0/pods?limit=1',
      '/api/v1/namespaces/ns-0/pods?limit=1&continue=c1',
      '/api/v1/namespaces/ns-1/pods?limit=1',
    ]);
  });
});

describe('compiled templates', () => {
  it('give exactly what substituting the text and parsing it gives, for every shipped template', () => {
    const vars = { replicas: 3, image: 'registry.k8s.io/pause:3.9', cpu: '100m', memory: '64Mi', payload: 'x', runId: 'r', workload: 'w', phase: 'p' };
    for (const f of readdirSync(path.join(ROOT, 'workloads/templates'))) {
      const text = readFileSync(path.join(ROOT, 'workloads/templates', f), 'utf8');
      const compiled = compileTemplate(text, vars);
      for (const obj of [
        { index: 0, name: 'p-0', namespace: 'ns', random: 'ab1c2' },
        { index: 17, name: 'p-17', namespace: 'ns-2', random: '12345' },
      ]) {
        expect(compiled(obj), f).toEqual(renderTemplate(text, { ...vars, ...obj }));
      }
    }
  });

  it('keep quoted placeholders strings and unquoted ones typed', () => {
    const t = 'a: "{{index}}"\nb: {{index}}\nc: x-{{name}}\nd: {{name}}\n';
    expect(compileTemplate(t, {})({ index: 7, name: 'n', namespace: 's', random: 'r' })).toEqual({ a: '7', b: 7, c: 'x-n', d: 'n' });
  });
});

describe('the continue token of a list page', () => {
  it('is read from the metadata before the items, as the apiserver writes a list', async () => {
    const { continueToken } = await import('../../src/load/actions/reads.js');
    // What the client keeps of a page: its text up to and including "items".
    const head = (meta: Record<string, unknown>) => {
      const text = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: meta, items: [{ metadata: { annotations: { note: '"continue":"fake"' } } }] });
      return text.slice(0, text.indexOf('"items"') + '"items"'.length);
    };
    expect(continueToken(head({ resourceVersion: '5', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ' }))).toBe('eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ');
    expect(continueToken(head({ resourceVersion: '5' }))).toBe('');
    expect(continueToken(head({ resourceVersion: '5', continue: '' }))).toBe('');
    // No items at all: the whole page was kept and is parsed.
    expect(continueToken(JSON.stringify({ kind: 'PodList', metadata: { continue: 'abc' } }))).toBe('abc');
    // Items before the metadata: not known.
    expect(continueToken('{"items"')).toBeUndefined();
  });

  it('needs only the head of each page: a list of every page of a namespace reads them all', async () => {
    const { startTestSim } = await import('../helpers/sim-fixture.js');
    const { KubeClient } = await import('../../src/cluster/kube-client.js');
    const { connect } = await import('../../src/cluster/target.js');
    const t = await startTestSim({ storage: 'memory', nodes: 0 });
    const client = new KubeClient(await connect({ kind: 'kubeconfig', file: t.sim.kubeconfigPath, source: 'flag' }), { timeoutMs: 10_000 });
    try {
      for (let i = 0; i < 7; i++) await client.json('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `c${i}` }, data: { k: 'v' } } });
      const pages: number[] = [];
      client.addObserver({ onCall: (o) => o.key.resource === 'configmaps' && o.key.verb === 'LIST' && pages.push(o.status) });
      const w = workload('name: lists\nphases:\n  - name: l\n    list: {resource: configmaps, scope: namespace, count: 1, limit: 2}\n');
      const ctx: RunContext = { ...context(client), namespaces: ['default'] };
      const op = ACTION_FACTORIES.list(w.phases[0]!, ctx, new LimitedApi(ctx, new TokenBucket(0, 0)));
      expect(await op(0, 0)).toBe(true);
      // 7 objects, 2 a page (plus the ServiceAccount CA configmap the sim makes): every page was asked for.
      expect(pages.length).toBeGreaterThanOrEqual(4);
      expect(pages.every((s) => s === 200)).toBe(true);
    } finally {
      await client.close();
      await t.stop();
    }
  });
});
