import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/sim-client.js';
import { find, parseSamples } from '../helpers/prom-text.js';
import { eventually, startTestSim, STORAGE_MODES } from '../helpers/sim-fixture.js';

function pod(name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...extra },
  };
}

function configMap(name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

describe.each(STORAGE_MODES)('sim API conformance (%s storage)', (storage) => {
  let c: TestClient;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const t = await startTestSim({
      storage,
      nodes: 0,
      watchHistoryMax: 40,
      bookmarkIntervalMs: 200,
      maxRequestsInflight: 3,
      maxMutatingRequestsInflight: 3,
      // The legacy max-inflight filter (--enable-priority-and-fairness=false); APF has its own tests.
      enablePriorityAndFairness: false,
    });
    c = t.client;
    stop = t.stop;
    expect((await c.post('/api/v1/namespaces', { metadata: { name: 'conf' } })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await stop?.();
  });

  it('serves discovery and version like a real apiserver', async () => {
    const version = await c.get('/version');
    expect(version.body.major).toBe('1');
    const core = await c.get('/api/v1');
    expect(core.body.kind).toBe('APIResourceList');
    const pods = core.body.resources.find((r: { name: string }) => r.name === 'pods');
    expect(pods).toMatchObject({ namespaced: true, kind: 'Pod', shortNames: ['po'] });
    expect(core.body.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['pods/status', 'pods/binding']));
    const apps = await c.get('/apis/apps/v1');
    const scale = apps.body.resources.find((r: { name: string }) => r.name === 'deployments/scale');
    expect(scale).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const groups = await c.get('/apis');
    expect(groups.body.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'coordination.k8s.io', 'events.k8s.io']),
    );
    expect((await c.get('/healthz')).text).toBe('ok');
  });

  it('rejects requests without the bearer token with a 401 Status', async () => {
    const res = await c.request('GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('creates with server-set metadata and refuses a duplicate with 409 AlreadyExists', async () => {
    const res = await c.post('/api/v1/namespaces/conf/pods', pod('meta'));
    expect(res.status).toBe(201);
    const m = res.body.metadata;
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.resourceVersion).toMatch(/^[0-9]+$/);
    // creationTimestamp has whole-second precision, like the real apiserver.
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.body.status).toMatchObject({ phase: 'Pending', qosClass: 'BestEffort' });
    const dup = await c.post('/api/v1/namespaces/conf/pods', pod('meta'));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', details: { name: 'meta', kind: 'pods' } });
  });

  it('generates names from generateName', async () => {
    const res = await c.post('/api/v1/namespaces/conf/configmaps', { metadata: { generateName: 'gen-' }, data: {} });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    // A long base is cut so that the name fits in 63 characters.
    const long = await c.post('/api/v1/namespaces/conf/configmaps', { metadata: { generateName: `${'g'.repeat(70)}-` }, data: {} });
    expect(long.status).toBe(201);
    expect(long.body.metadata.name).toMatch(/^g{58}[a-z0-9]{5}$/);
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const res = await c.post('/api/v1/namespaces/nope/configmaps', configMap('x'));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ reason: 'NotFound', details: { name: 'nope', kind: 'namespaces' } });
  });

  it('answers invalid objects with 422 Invalid and field causes', async () => {
    const res = await c.post('/api/v1/namespaces/conf/pods', { metadata: { name: 'Bad_Name' }, spec: { containers: [] } });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    const fields = res.body.details.causes.map((x: { field: string }) => x.field);
    expect(fields).toContain('metadata.name');
  });

  it('refuses fields of the wrong JSON type with 400, as decoding into the Go types does, storing nothing', async () => {
    const cm = await c.post('/api/v1/namespaces/conf/configmaps', { metadata: { name: 'typed' }, data: { a: 5 } });
    expect(cm.status).toBe(400);
    expect(cm.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
    const label = await c.post('/api/v1/namespaces/conf/configmaps', { metadata: { name: 'typed', labels: { a: 1 } } });
    expect(label.status).toBe(400);
    expect(label.body.message).toMatch(/ObjectMeta\.metadata\.labels of type string$/);
    expect((await c.get('/api/v1/namespaces/conf/configmaps/typed')).status).toBe(404);

    const deployment = {
      metadata: { name: 'typed' },
      spec: { selector: { matchLabels: { app: 't' } }, template: { metadata: { labels: { app: 't' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } } },
    };
    const huge = await c.post('/apis/apps/v1/namespaces/conf/deployments', { ...deployment, spec: { ...deployment.spec, replicas: 10_000_000_000 } });
    expect(huge.status).toBe(400);
    expect(huge.body.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 10000000000 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect((await c.post('/apis/apps/v1/namespaces/conf/deployments', { ...deployment, spec: { ...deployment.spec, replicas: 0 } })).status).toBe(201);
    const asString = await c.patch('/apis/apps/v1/namespaces/conf/deployments/typed', { spec: { replicas: '3' } });
    expect(asString.status).toBe(400);
    expect(asString.body.message).toMatch(/cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32$/);
    const bogus = await c.patch('/apis/apps/v1/namespaces/conf/deployments/typed', { spec: { strategy: { type: 'Bogus' } } });
    expect(bogus.status).toBe(422);
    expect(bogus.body.details.causes).toEqual([expect.objectContaining({ reason: 'FieldValueNotSupported', field: 'spec.strategy.type' })]);
    const scale = await c.patch('/apis/apps/v1/namespaces/conf/deployments/typed/scale', { spec: { replicas: 2 ** 31 } });
    expect(scale.status).toBe(400);
    const stored = (await c.get('/apis/apps/v1/namespaces/conf/deployments/typed')).body;
    expect(stored.spec.replicas).toBe(0);
    expect(stored.spec.strategy.type).toBe('RollingUpdate');
    expect((await c.delete('/apis/apps/v1/namespaces/conf/deployments/typed')).status).toBe(200);
  });

  it('answers malformed JSON with 400 and keeps serving', async () => {
    const res = await c.request('POST', '/api/v1/namespaces/conf/configmaps', '{"metadata": {', {
      'Content-Type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    // Nesting deeper than Go's decoder allows (10000) is a 400 too, for create and patch.
    const deep = `{"metadata":{"name":"deep"},"data":{"a":"x"},"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const deepCreate = await c.request('POST', '/api/v1/namespaces/conf/configmaps', deep, { 'Content-Type': 'application/json' });
    expect(deepCreate.status).toBe(400);
    expect(deepCreate.body.message).toMatch(/exceeded max depth 10000/);
    await c.post('/api/v1/namespaces/conf/configmaps', configMap('shallow'));
    const deepPatch = await c.request('PATCH', '/api/v1/namespaces/conf/configmaps/shallow', `{"data":{"a":"x"},"x":${'{"y":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, {
      'Content-Type': 'application/merge-patch+json',
    });
    expect(deepPatch.status).toBe(400);
    // Unchanged: its empty data is not stored (omitempty), as on a real apiserver.
    expect((await c.get('/api/v1/namespaces/conf/configmaps/shallow')).body.data).toBeUndefined();
    expect((await c.get('/api/v1/namespaces/conf')).status).toBe(200);
  });

  it('treats a body without Content-Type as JSON', async () => {
    const res = await c.request('POST', '/api/v1/namespaces/conf/configmaps', JSON.stringify(configMap('no-ct')), {
      'Content-Type': '',
    });
    expect(res.status).toBe(201);
  });

  it('rejects a protobuf body it cannot decode with 415 and answers JSON to clients that also accept protobuf', async () => {
    const res = await c.request('POST', '/api/v1/namespaces/conf/pods', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0x01]), {
      'Content-Type': 'application/vnd.kubernetes.protobuf',
      Accept: 'application/vnd.kubernetes.protobuf, application/json',
    });
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
    const get = await c.request('GET', '/api/v1/namespaces/conf', undefined, {
      Accept: 'application/vnd.kubernetes.protobuf,application/json',
    });
    expect(get.headers['content-type']).toBe('application/json');
    expect(get.body.kind).toBe('Namespace');
  });

  it('detects conflicting updates with 409 Conflict on a stale resourceVersion', async () => {
    const created = await c.post('/api/v1/namespaces/conf/configmaps', configMap('cas', { v: '1' }));
    const stale = created.body;
    const first = await c.put('/api/v1/namespaces/conf/configmaps/cas', { ...stale, data: { v: '2' } });
    expect(first.status).toBe(200);
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(Number(stale.metadata.resourceVersion));
    const second = await c.put('/api/v1/namespaces/conf/configmaps/cas', { ...stale, data: { v: '3' } });
    expect(second.status).toBe(409);
    expect(second.body.reason).toBe('Conflict');
    expect(second.body.message).toContain('the object has been modified');
    expect((await c.get('/api/v1/namespaces/conf/configmaps/cas')).body.data).toEqual({ v: '2' });
  });

  it('keeps resourceVersion global and increasing across resources', async () => {
    const a = await c.post('/api/v1/namespaces/conf/configmaps', configMap('rv-a'));
    const b = await c.post('/api/v1/namespaces/conf/pods', pod('rv-b'));
    expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.body.metadata.resourceVersion));
  });

  it('applies merge, JSON and strategic merge patches', async () => {
    await c.post('/api/v1/namespaces/conf/pods', pod('patchy', { app: 'a' }));
    const merge = await c.patch('/api/v1/namespaces/conf/pods/patchy', { metadata: { labels: { tier: 'web' } } });
    expect(merge.body.metadata.labels).toEqual({ app: 'a', tier: 'web' });
    const json = await c.patch(
      '/api/v1/namespaces/conf/pods/patchy',
      [{ op: 'remove', path: '/metadata/labels/app' }],
      'application/json-patch+json',
    );
    expect(json.body.metadata.labels).toEqual({ tier: 'web' });
    const smp = await c.patch(
      '/api/v1/namespaces/conf/pods/patchy',
      { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } },
      'application/strategic-merge-patch+json',
    );
    // Containers merge on name: the image changes, the rest of the container stays.
    expect(smp.body.spec.containers).toHaveLength(1);
    expect(smp.body.spec.containers[0]).toMatchObject({ name: 'c', image: 'busybox:1.37', imagePullPolicy: 'IfNotPresent' });
    // A JSON patch that fails against the object is 422 with the generic message; one that
    // is not a list of operations is 400.
    const missing = await c.patch('/api/v1/namespaces/conf/pods/patchy', [{ op: 'remove', path: '/nope' }], 'application/json-patch+json');
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ reason: 'Invalid', message: 'the server rejected our request due to an error in our request' });
    const failedTest = await c.patch('/api/v1/namespaces/conf/pods/patchy', [{ op: 'test', path: '/metadata/name', value: 'other' }], 'application/json-patch+json');
    expect(failedTest.status).toBe(422);
    const notOps = await c.patch('/api/v1/namespaces/conf/pods/patchy', { op: 'remove' }, 'application/json-patch+json');
    expect(notOps.status).toBe(400);
    // The name in the URL is the object's: a body may leave it out, not change it.
    const renamed = await c.patch('/api/v1/namespaces/conf/pods/patchy', { metadata: { name: 'other' } });
    expect(renamed.status).toBe(400);
    expect(renamed.body.message).toBe('the name of the object (other) does not match the name on the URL (patchy)');
    // A named GET stays a GET with ?watch=true.
    const got = await c.get('/api/v1/namespaces/conf/pods/patchy?watch=true');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ kind: 'Pod', metadata: { name: 'patchy' } });
  });

  it('paginates lists with limit and continue at one consistent revision', async () => {
    for (let i = 0; i < 7; i++) await c.post('/api/v1/namespaces/conf/configmaps', configMap(`page-${i}`, {}, { set: 'page' }));
    const names: string[] = [];
    let token = '';
    let rv = '';
    let pages = 0;
    do {
      const res = await c.get(`/api/v1/namespaces/conf/configmaps?labelSelector=set%3Dpage&limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      if (!rv) rv = res.body.metadata.resourceVersion;
      else expect(res.body.metadata.resourceVersion).toBe(rv);
      names.push(...res.body.items.map((o: { metadata: { name: string } }) => o.metadata.name));
      token = res.body.metadata.continue ?? '';
      pages++;
      // Created after the first page: must not appear in this list.
      if (pages === 1) await c.post('/api/v1/namespaces/conf/configmaps', configMap('page-late', {}, { set: 'page' }));
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
  });

  it('reads at a resourceVersion from the cache: not older than asked, whatever the object last changed', async () => {
    const old = (await c.post('/api/v1/namespaces/conf/configmaps', configMap('rv-old'))).body;
    const newer = (await c.post('/api/v1/namespaces/conf/configmaps', configMap('rv-new'))).body;
    expect(Number(newer.metadata.resourceVersion)).toBeGreaterThan(Number(old.metadata.resourceVersion));
    const got = await c.get(`/api/v1/namespaces/conf/configmaps/rv-old?resourceVersion=${newer.metadata.resourceVersion}`);
    expect(got.status).toBe(200);
    expect(got.body.metadata.resourceVersion).toBe(old.metadata.resourceVersion);
    expect((await c.get('/api/v1/namespaces/conf/configmaps/rv-old?resourceVersion=0')).status).toBe(200);
    // A version the cache does not reach in time: 504 with the real cause.
    const future = await c.get(`/api/v1/namespaces/conf/configmaps/rv-old?resourceVersion=${Number(newer.metadata.resourceVersion) + 1_000_000}`);
    expect(future.status).toBe(504);
    expect(future.body).toMatchObject({ reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] } });
    expect(future.body.message).toMatch(/^Timeout: Too large resource version: \d+, current: \d+$/);
    // resourceVersion=0 is the watch cache's, which ignores limit.
    const all = await c.get('/api/v1/namespaces/conf/configmaps?labelSelector=set%3Dpage&limit=3&resourceVersion=0');
    expect(all.body.items).toHaveLength(8);
    expect(all.body.metadata.continue).toBeUndefined();
  });

  it('reports remainingItemCount without selectors', async () => {
    const res = await c.get('/api/v1/namespaces?limit=1');
    expect(res.body.metadata.remainingItemCount).toBeGreaterThanOrEqual(4);
    expect(res.body.metadata.continue).toBeTruthy();
  });

  it('filters with the label selector grammar', async () => {
    const mk = (name: string, labels: Record<string, string>) => c.post('/api/v1/namespaces/conf/configmaps', configMap(name, {}, labels));
    await mk('sel-a', { env: 'prod', tier: 'web', sel: 'x' });
    await mk('sel-b', { env: 'dev', tier: 'db', sel: 'x' });
    await mk('sel-c', { env: 'qa', sel: 'x' });
    const q = async (sel: string) =>
      (await c.get(`/api/v1/namespaces/conf/configmaps?labelSelector=${encodeURIComponent(`sel=x,${sel}`)}`)).body.items
        .map((o: { metadata: { name: string } }) => o.metadata.name)
        .sort();
    expect(await q('env=prod')).toEqual(['sel-a']);
    expect(await q('env==dev')).toEqual(['sel-b']);
    expect(await q('env!=prod')).toEqual(['sel-b', 'sel-c']);
    expect(await q('env in (prod, qa)')).toEqual(['sel-a', 'sel-c']);
    expect(await q('env notin (prod)')).toEqual(['sel-b', 'sel-c']);
    expect(await q('tier')).toEqual(['sel-a', 'sel-b']);
    expect(await q('!tier')).toEqual(['sel-c']);
    expect(await q(' tier , env = dev ')).toEqual(['sel-b']);
    const bad = await c.get(`/api/v1/namespaces/conf/configmaps?labelSelector=${encodeURIComponent('env in prod')}`);
    expect(bad.status).toBe(400);
  });

  it('filters with field selectors and rejects unsupported fields', async () => {
    await c.post('/api/v1/namespaces/conf/pods', pod('on-node', {}, { nodeName: 'node-7' }));
    const res = await c.get('/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-7');
    expect(res.body.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['on-node']);
    const phase = await c.get('/api/v1/namespaces/conf/pods?fieldSelector=status.phase%3DPending,metadata.name%3Don-node');
    expect(phase.body.items).toHaveLength(1);
    const bad = await c.get('/api/v1/pods?fieldSelector=spec.bogus%3Dx');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('field label not supported');
  });

  it('parses boolean query parameters as the real server does', async () => {
    for (const v of ['true', 'True', '1']) {
      const res = await c.get(`/api/v1/namespaces/conf/configmaps?watch=${v}&timeoutSeconds=1&fieldSelector=metadata.name%3Dcas`);
      // A watch streams events (one JSON object per line), not a list.
      expect(res.text.split('\n')[0]).toContain('"type":"ADDED"');
    }
    const list = await c.get('/api/v1/namespaces/conf/configmaps?watch=0&fieldSelector=metadata.name%3Dcas');
    expect(list.body.kind).toBe('ConfigMapList');
  });

  it('streams watch events and resumes from a resourceVersion', async () => {
    const created = await c.post('/api/v1/namespaces/conf/configmaps', configMap('w1', {}, { w: 'x' }));
    const rv1 = created.body.metadata.resourceVersion;
    const w = c.watch(`/api/v1/namespaces/conf/configmaps?labelSelector=w%3Dx&resourceVersion=${rv1}`);
    await c.patch('/api/v1/namespaces/conf/configmaps/w1', { data: { k: 'v' } });
    await c.post('/api/v1/namespaces/conf/configmaps', configMap('w2', {}, { w: 'x' }));
    await c.delete('/api/v1/namespaces/conf/configmaps/w1');
    const events = await w.until((e) => e.length >= 3);
    w.stop();
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['MODIFIED', 'w1'],
      ['ADDED', 'w2'],
      ['DELETED', 'w1'],
    ]);
    // Resuming from the MODIFIED event's version replays exactly what came after it.
    const resume = c.watch(`/api/v1/namespaces/conf/configmaps?labelSelector=w%3Dx&resourceVersion=${events[0]!.object.metadata.resourceVersion}`);
    const replay = await resume.until((e) => e.length >= 2);
    resume.stop();
    expect(replay.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'w2'],
      ['DELETED', 'w1'],
    ]);
  });

  it('treats timeoutSeconds=0 as no timeout', async () => {
    const w = c.watch('/api/v1/namespaces/conf/configmaps?labelSelector=tz%3Dx&timeoutSeconds=0');
    await eventually(() => w.status, (s) => s === 200, 10_000, 'the watch to start');
    await new Promise((r) => setTimeout(r, 300));
    await c.post('/api/v1/namespaces/conf/configmaps', configMap('tz', {}, { tz: 'x' }));
    const events = await w.until((e) => e.length >= 1);
    expect(w.ended).toBe(false);
    w.stop();
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'tz']]);
  });

  it('starts a watch without resourceVersion with ADDED events for the current state', async () => {
    const w = c.watch('/api/v1/namespaces/conf/configmaps?labelSelector=sel%3Dx');
    const events = await w.until((e) => e.length >= 3);
    w.stop();
    expect(events.every((e) => e.type === 'ADDED')).toBe(true);
  });

  it('sends BOOKMARK events when allowed', async () => {
    const w = c.watch('/api/v1/namespaces/conf/pods?allowWatchBookmarks=true&resourceVersion=0');
    const events = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    w.stop();
    const bm = events.find((e) => e.type === 'BOOKMARK')!;
    expect(bm.object.kind).toBe('Pod');
    expect(bm.object.metadata.resourceVersion).toMatch(/^[0-9]+$/);
  });

  it('ends the initial state with a bookmark when sendInitialEvents is set', async () => {
    const w = c.watch('/api/v1/namespaces/conf/configmaps?sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=sel%3Dx');
    const events = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    w.stop();
    const bm = events.find((e) => e.type === 'BOOKMARK')!;
    expect(bm.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(events.filter((e) => e.type === 'ADDED')).toHaveLength(3);
  });

  it('answers a watch from a version older than the history window with a 410 Expired ERROR event', async () => {
    const first = await c.post('/api/v1/namespaces/conf/configmaps', configMap('old-rv'));
    const oldRv = first.body.metadata.resourceVersion;
    // More writes than the history keeps (watchHistoryMax: 40).
    for (let i = 0; i < 60; i++) await c.patch('/api/v1/namespaces/conf/configmaps/old-rv', { data: { i: String(i) } });
    const w = c.watch(`/api/v1/namespaces/conf/configmaps?resourceVersion=${oldRv}`);
    const events = await w.until((e) => e.length >= 1);
    w.stop();
    expect(events[0]!.type).toBe('ERROR');
    expect(events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(events[0]!.object.message).toMatch(/too old resource version/);
    const list = await c.get(`/api/v1/namespaces/conf/configmaps?resourceVersion=${oldRv}&resourceVersionMatch=Exact`);
    expect(list.status).toBe(410);
  });

  it('deletes dependents through ownerReferences (background and foreground)', async () => {
    const owner = (await c.post('/api/v1/namespaces/conf/configmaps', configMap('owner-bg'))).body;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid, blockOwnerDeletion: true };
    await c.post('/api/v1/namespaces/conf/configmaps', { ...configMap('dep-bg'), metadata: { name: 'dep-bg', ownerReferences: [ref] } });
    expect((await c.delete('/api/v1/namespaces/conf/configmaps/owner-bg')).status).toBe(200);
    await eventually(() => c.get('/api/v1/namespaces/conf/configmaps/dep-bg'), (r) => r.status === 404, 15_000, 'dependent to be collected');

    const fg = (await c.post('/api/v1/namespaces/conf/configmaps', configMap('owner-fg'))).body;
    const fgRef = { ...ref, name: 'owner-fg', uid: fg.metadata.uid };
    await c.post('/api/v1/namespaces/conf/configmaps', { ...configMap('dep-fg'), metadata: { name: 'dep-fg', ownerReferences: [fgRef] } });
    const del = await c.delete('/api/v1/namespaces/conf/configmaps/owner-fg', { propagationPolicy: 'Foreground' });
    // Pending, yet 200: only the deprecated orphanDependents=false answers 202.
    expect(del.status).toBe(200);
    expect(del.body.metadata.finalizers).toContain('foregroundDeletion');
    await eventually(() => c.get('/api/v1/namespaces/conf/configmaps/owner-fg'), (r) => r.status === 404, 15_000, 'foreground owner to go');
    expect((await c.get('/api/v1/namespaces/conf/configmaps/dep-fg')).status).toBe(404);

    await c.post('/api/v1/namespaces/conf/configmaps', { ...configMap('held'), metadata: { name: 'held', finalizers: ['kbench.io/hold'] } });
    const held = await c.delete('/api/v1/namespaces/conf/configmaps/held', { orphanDependents: false });
    expect(held.status).toBe(202);
    expect(held.body.metadata.deletionTimestamp).toBeDefined();
    await c.patch('/api/v1/namespaces/conf/configmaps/held', { metadata: { finalizers: null } });
    await eventually(() => c.get('/api/v1/namespaces/conf/configmaps/held'), (r) => r.status === 404, 15_000, 'the held object to go');
  });

  it('orphans dependents when asked', async () => {
    const owner = (await c.post('/api/v1/namespaces/conf/configmaps', configMap('owner-or'))).body;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner-or', uid: owner.metadata.uid };
    await c.post('/api/v1/namespaces/conf/configmaps', { ...configMap('dep-or'), metadata: { name: 'dep-or', ownerReferences: [ref] } });
    await c.delete('/api/v1/namespaces/conf/configmaps/owner-or', { propagationPolicy: 'Orphan' });
    await eventually(() => c.get('/api/v1/namespaces/conf/configmaps/owner-or'), (r) => r.status === 404, 15_000, 'owner to go');
    const dep = await c.get('/api/v1/namespaces/conf/configmaps/dep-or');
    expect(dep.status).toBe(200);
    expect(dep.body.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes a namespace with its contents: Terminating, then gone', async () => {
    await c.post('/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await c.post('/api/v1/namespaces/doomed/configmaps', configMap('a'));
    await c.post('/api/v1/namespaces/doomed/pods', pod('p'));
    const del = await c.delete('/api/v1/namespaces/doomed');
    expect(del.body.status.phase).toBe('Terminating');
    const refused = await c.post('/api/v1/namespaces/doomed/configmaps', configMap('late'));
    if (refused.status !== 404) {
      expect(refused.status).toBe(403);
      expect(refused.body.details.causes[0].reason).toBe('NamespaceTerminating');
    }
    await eventually(() => c.get('/api/v1/namespaces/doomed'), (r) => r.status === 404, 20_000, 'namespace to be deleted');
    expect((await c.get('/api/v1/namespaces/doomed/configmaps')).body.items).toEqual([]);
  });

  it('keeps graceful pod deletion pending until a grace-period-0 delete', async () => {
    await c.post('/api/v1/namespaces/conf/pods', pod('graceful', {}, { nodeName: 'node-1' }));
    const del = await c.delete('/api/v1/namespaces/conf/pods/graceful');
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeTruthy();
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await c.get('/api/v1/namespaces/conf/pods/graceful')).status).toBe(200);
    await c.delete('/api/v1/namespaces/conf/pods/graceful', { gracePeriodSeconds: 0 });
    expect((await c.get('/api/v1/namespaces/conf/pods/graceful')).status).toBe(404);
  });

  it('binds pods through pods/binding once', async () => {
    // A scheduler nobody runs: the sim's own (in its own thread) would race this test's binding.
    await c.post('/api/v1/namespaces/conf/pods', pod('to-bind', {}, { schedulerName: 'kbench-test-binder' }));
    const bind = await c.post('/api/v1/namespaces/conf/pods/to-bind/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'to-bind' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-3' },
    });
    expect(bind.status).toBe(201);
    const got = await c.get('/api/v1/namespaces/conf/pods/to-bind');
    expect(got.body.spec.nodeName).toBe('node-3');
    expect(got.body.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await c.post('/api/v1/namespaces/conf/pods/to-bind/binding', {
      metadata: { name: 'to-bind' },
      target: { kind: 'Node', name: 'node-4' },
    });
    expect(again.status).toBe(409);
  });

  it('serves the scale subresource and status updates separately from spec', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scaler' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 's' } },
        template: { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      },
    };
    const created = await c.post('/apis/apps/v1/namespaces/conf/deployments', d);
    expect(created.body.metadata.generation).toBe(1);
    const scale = await c.get('/apis/apps/v1/namespaces/conf/deployments/scaler/scale');
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=s' } });
    const patched = await c.patch('/apis/apps/v1/namespaces/conf/deployments/scaler/scale', { spec: { replicas: 5 } });
    expect(patched.body.spec.replicas).toBe(5);
    const after = await c.get('/apis/apps/v1/namespaces/conf/deployments/scaler');
    expect(after.body.spec.replicas).toBe(5);
    expect(after.body.metadata.generation).toBe(2);
    // Status writes change status only (a Service: no controller of the sim writes its status).
    const svc = (
      await c.post('/api/v1/namespaces/conf/services', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } })
    ).body;
    const st = await c.put('/api/v1/namespaces/conf/services/lb/status', {
      ...svc,
      spec: { ...svc.spec, ports: [{ port: 9999 }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
    });
    expect(st.status).toBe(200);
    expect(st.body.status.loadBalancer.ingress[0].ip).toBe('192.0.2.1');
    expect(st.body.spec.ports[0].port).toBe(80);
  });

  it('serves events.k8s.io/v1 and core/v1 events from one store', async () => {
    const ev = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1' },
      eventTime: '2026-01-01T00:00:00.123456Z',
      reportingController: 'default-scheduler',
      reportingInstance: 'sched-1',
      action: 'Binding',
      reason: 'Scheduled',
      note: 'assigned',
      type: 'Normal',
      regarding: { kind: 'Pod', namespace: 'conf', name: 'meta' },
    };
    expect((await c.post('/apis/events.k8s.io/v1/namespaces/conf/events', ev)).status).toBe(201);
    const core = await c.get('/api/v1/namespaces/conf/events/e1');
    expect(core.body).toMatchObject({ apiVersion: 'v1', message: 'assigned', involvedObject: { name: 'meta' }, reportingComponent: 'default-scheduler' });
    const byField = await c.get('/api/v1/namespaces/conf/events?fieldSelector=involvedObject.name%3Dmeta,reason%3DScheduled');
    expect(byField.body.items).toHaveLength(1);
    const v1 = await c.get('/apis/events.k8s.io/v1/namespaces/conf/events/e1');
    expect(v1.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'assigned', regarding: { name: 'meta' } });
  });

  it('gives every namespace a default ServiceAccount and the root CA, and brings them back', async () => {
    await c.post('/api/v1/namespaces', { metadata: { name: 'fresh' } });
    const sa = await eventually(() => c.get('/api/v1/namespaces/fresh/serviceaccounts/default'), (r) => r.status === 200, 15_000, 'the default ServiceAccount');
    expect(sa.body.kind).toBe('ServiceAccount');
    const ca = await eventually(() => c.get('/api/v1/namespaces/fresh/configmaps/kube-root-ca.crt'), (r) => r.status === 200, 15_000, 'the root CA ConfigMap');
    expect(ca.body.data['ca.crt']).toBe(c.target.caPem);
    expect((await c.delete('/api/v1/namespaces/fresh/serviceaccounts/default')).status).toBe(200);
    const again = await eventually(() => c.get('/api/v1/namespaces/fresh/serviceaccounts/default'), (r) => r.status === 200, 15_000, 'the account to come back');
    expect(again.body.metadata.uid).not.toBe(sa.body.metadata.uid);
  });

  it('admits pods as the default plugins do: service account and token volume, tolerations, priority', async () => {
    const res = await c.post('/api/v1/namespaces/conf/pods', pod('admitted', {}, { initContainers: [{ name: 'init', image: 'busybox:1.36' }] }));
    expect(res.status).toBe(201);
    const spec = res.body.spec;
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.serviceAccount).toBe('default');
    const volume = spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    expect(volume.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(volume.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    });
    for (const container of [...spec.initContainers, ...spec.containers]) {
      expect(container.volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    }
    expect(spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    expect(spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });

    const critical = await c.post('/api/v1/namespaces/conf/pods', pod('critical', {}, { priorityClassName: 'system-node-critical', automountServiceAccountToken: false, tolerations: [{ operator: 'Exists' }] }));
    expect(critical.body.spec.priority).toBe(2000001000);
    expect(critical.body.spec.volumes).toBeUndefined();
    expect(critical.body.spec.tolerations).toEqual([{ operator: 'Exists' }]);

    const missing = await c.post('/api/v1/namespaces/conf/pods', pod('orphan-sa', {}, { serviceAccountName: 'missing' }));
    expect(missing.status).toBe(403);
    expect(missing.body).toMatchObject({
      reason: 'Forbidden',
      message: 'pods "orphan-sa" is forbidden: error looking up service account conf/missing: serviceaccount "missing" not found',
    });
    for (const name of ['admitted', 'critical']) await c.delete(`/api/v1/namespaces/conf/pods/${name}`, { gracePeriodSeconds: 0 });
  });

  it('marks gated pods SchedulingGated and lets gates only be removed', async () => {
    const gates = [{ name: 'example.com/a' }, { name: 'example.com/b' }];
    const created = await c.post('/api/v1/namespaces/conf/pods', { metadata: { name: 'gated' }, spec: { schedulingGates: gates, containers: [{ name: 'c', image: 'pause' }] } });
    expect(created.status).toBe(201);
    expect(created.body.status.conditions).toEqual([
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      },
    ]);
    const table = await c.request('GET', '/api/v1/namespaces/conf/pods/gated', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.body.rows[0].cells[2]).toBe('SchedulingGated');

    const added = await c.patch('/api/v1/namespaces/conf/pods/gated', { spec: { schedulingGates: [...gates, { name: 'x' }] } });
    expect(added.status).toBe(422);
    expect(added.body.details.causes).toEqual([
      { reason: 'FieldValueForbidden', message: "Forbidden: only deletion is allowed, but found new scheduling gate 'x'", field: 'spec.schedulingGates[2].name' },
    ]);
    expect((await c.patch('/api/v1/namespaces/conf/pods/gated', { spec: { schedulingGates: [gates[1]] } })).status).toBe(200);
    const released = await c.patch('/api/v1/namespaces/conf/pods/gated', { spec: { schedulingGates: null } });
    expect(released.status).toBe(200);
    expect(released.body.spec.schedulingGates).toBeUndefined();
    // Other spec fields stay immutable.
    expect((await c.patch('/api/v1/namespaces/conf/pods/gated', { spec: { restartPolicy: 'Never' } })).status).toBe(422);
    expect((await c.delete('/api/v1/namespaces/conf/pods/gated')).status).toBe(200);
  });

  it('serves Tables for kubectl get', async () => {
    const res = await c.request('GET', '/api/v1/namespaces/conf/pods?limit=500', undefined, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
    expect(res.body.kind).toBe('Table');
    expect(res.body.columnDefinitions.map((col: { name: string }) => col.name).slice(0, 5)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    expect(res.body.rows[0].object.kind).toBe('PartialObjectMetadata');
  });

  it('limits concurrent reads and writes with 429, Retry-After and the filter\'s plain-text answer', async () => {
    // This client shows 429s instead of retrying them.
    const raw = new TestClient(c.target, false);
    // Reads: lists waiting for a future resourceVersion hold their inflight slot for a while.
    const rv = Number((await c.get('/api/v1/namespaces')).body.metadata.resourceVersion) + 100_000;
    const held = [1, 2, 3].map(() => c.get(`/api/v1/namespaces/conf/configmaps?resourceVersion=${rv}`));
    const refused = await eventually(
      () => raw.get('/api/v1/namespaces/conf/configmaps'),
      (r) => r.status === 429,
      60_000, // a loaded machine may take long to open the held connections
      'a read to be refused',
    );
    expect(refused.headers['retry-after']).toBe('1');
    // The real max-inflight filter answers with Go's http.Error, not a Status.
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(refused.text).toBe('Too many requests, please try again later.\n');
    await Promise.all(held);

    // Writes: requests whose bodies have not arrived yet hold mutating slots.
    const url = new URL('/api/v1/namespaces/conf/configmaps', c.target.url);
    const slow = [1, 2, 3].map(() => {
      const req = https.request(url, {
        method: 'POST',
        ca: c.target.caPem,
        headers: { Authorization: `Bearer ${c.target.token}`, 'Content-Type': 'application/json', 'Content-Length': '1000' },
      });
      req.on('error', () => undefined);
      req.write('{"metadata":');
      return req;
    });
    try {
      const writeRefused = await eventually(
        () => raw.post('/api/v1/namespaces/conf/configmaps', configMap('blocked')),
        (r) => r.status === 429,
        60_000,
        'a write to be refused',
      );
      expect(writeRefused.headers['retry-after']).toBe('1');
    } finally {
      for (const r of slow) r.destroy();
      raw.close();
    }
    const metrics = await c.get('/metrics');
    expect(metrics.text).toMatch(/apiserver_request_total\{[^}]*code="429"[^}]*\} [1-9]/);
    // A refused request is counted, never timed: per label set, the histogram's count is the
    // number of requests that were served.
    const samples = parseSamples(metrics.text);
    for (const key of [{ verb: 'LIST', resource: 'configmaps', scope: 'namespace' }, { verb: 'POST', resource: 'configmaps', scope: 'resource' }]) {
      const totals = find(samples, 'apiserver_request_total', key);
      expect(totals.some((t) => t.labels.code === '429' && t.value > 0)).toBe(true);
      const served = totals.filter((t) => t.labels.code !== '429').reduce((n, t) => n + t.value, 0);
      expect(find(samples, 'apiserver_request_duration_seconds_count', key)[0]!.value).toBe(served);
      expect(find(samples, 'apiserver_request_sli_duration_seconds_count', key)[0]!.value).toBe(served);
    }
  });

  it('exposes apiserver metrics with the real names, labels and buckets', async () => {
    const samples = parseSamples((await c.get('/metrics')).text);
    const post = { verb: 'POST', dry_run: '', group: '', version: 'v1', resource: 'pods', subresource: '', scope: 'resource', component: 'apiserver' };
    const buckets = find(samples, 'apiserver_request_duration_seconds_bucket', post).map((s) => s.labels.le);
    expect(buckets).toEqual(['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf']);
    const list = { verb: 'LIST', resource: 'configmaps', scope: 'namespace' };
    expect(find(samples, 'apiserver_request_sli_duration_seconds_count', list)[0]!.value).toBeGreaterThan(0);
    expect(find(samples, 'apiserver_request_sli_duration_seconds_bucket', list)[0]!.labels.le).toBe('0.05');
    expect(find(samples, 'apiserver_request_total', { verb: 'GET', resource: 'pods', scope: 'resource', code: '200' })[0]!.value).toBeGreaterThan(0);
    expect(find(samples, 'apiserver_request_total', { verb: 'WATCH', resource: 'configmaps' }).length).toBeGreaterThan(0);
    expect(find(samples, 'apiserver_request_total', { verb: 'PATCH', resource: 'deployments', subresource: 'scale', code: '200' })).toHaveLength(1);
    expect(find(samples, 'apiserver_current_inflight_requests', { request_kind: 'mutating' })).toHaveLength(1);
    expect(find(samples, 'apiserver_resource_objects', { group: '', resource: 'pods' })[0]!.value).toBeGreaterThan(0);
    expect(find(samples, 'etcd_request_duration_seconds_count', { operation: 'create', group: '', resource: 'pods' })[0]!.value).toBeGreaterThan(0);
    expect(find(samples, 'apiserver_watch_events_total', { group: '', version: 'v1', resource: 'configmaps' })[0]!.value).toBeGreaterThan(0);
  });

  it('records pod proxy requests as CONNECT, long-running, outside the SLI', async () => {
    const lease = (await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler')).body;
    const host = String(lease.spec.holderIdentity).split('_')[0];
    const proxied = await c.get(`/api/v1/namespaces/kube-system/pods/https:kube-scheduler-${host}:10259/proxy/metrics`);
    expect(proxied.status).toBe(200);
    expect(proxied.text).toContain('scheduler_pending_pods');
    const samples = parseSamples((await c.get('/metrics')).text);
    const key = { resource: 'pods', subresource: 'proxy' };
    expect(find(samples, 'apiserver_request_total', { ...key, verb: 'CONNECT', scope: 'resource', code: '200' })[0]!.value).toBeGreaterThan(0);
    expect(find(samples, 'apiserver_request_total', { ...key, verb: 'GET' })).toEqual([]);
    expect(find(samples, 'apiserver_request_sli_duration_seconds_count', key)).toEqual([]);
  });
});
