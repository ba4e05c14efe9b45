import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/sim/storage/etcd-process.js';
import type { TestClient } from '../helpers/sim-client.js';
import { eventually, startTestSim, STORAGE_MODES } from '../helpers/sim-fixture.js';

const run = promisify(execFile);

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: kt
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
`;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: kt
  labels: {app: p}
spec:
  containers:
  - name: c
    image: busybox:1.36
    resources:
      requests: {cpu: 100m, memory: 64Mi}
`;

describe.each(STORAGE_MODES)('real kubectl against the sim (%s storage)', (storage) => {
  let dir: string;
  let client: TestClient;
  let stop: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  const watchers: ChildProcess[] = [];

  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('kubectl', [...args, `--cache-dir=${path.join(dir, 'cache')}`], { env, timeout: 60_000 });
    return stdout;
  };

  beforeAll(async () => {
    if (!findOnPath('kubectl')) throw new Error('kubectl is not on PATH (Debian: apt-get install -y kubernetes-client); the README test command installs it');
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-kubectl-'));
    const t = await startTestSim({ storage });
    client = t.client;
    stop = t.stop;
    env = { ...process.env, KUBECONFIG: t.sim.kubeconfigPath, HOME: dir };
    await writeFile(path.join(dir, 'deploy.yaml'), DEPLOYMENT);
    await writeFile(path.join(dir, 'pod.yaml'), POD);
  }, 60_000);

  afterAll(async () => {
    for (const w of watchers) w.kill('SIGKILL');
    await stop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a namespace (kubectl >= 1.32 sends it as protobuf)', async () => {
    expect(await kubectl('create', 'namespace', 'kt')).toContain('namespace/kt created');
    expect((await client.get('/api/v1/namespaces/kt')).body.status.phase).toBe('Active');
  });

  it('creates objects with kubectl create <kind> (protobuf bodies)', async () => {
    await kubectl('create', 'configmap', 'cm1', '-n', 'kt', '--from-literal=a=b');
    await kubectl('create', 'deployment', 'made', '-n', 'kt', '--image=nginx:1.25', '--replicas=2', '--port=80');
    expect((await client.get('/api/v1/namespaces/kt/configmaps/cm1')).body.data).toEqual({ a: 'b' });
    const d = (await client.get('/apis/apps/v1/namespaces/kt/deployments/made')).body;
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] });
  });

  it('applies a Deployment and a Pod, and re-applies without change', async () => {
    expect(await kubectl('apply', '-f', path.join(dir, 'deploy.yaml'))).toContain('deployment.apps/web created');
    expect(await kubectl('apply', '-f', path.join(dir, 'pod.yaml'))).toContain('pod/p1 created');
    expect(await kubectl('apply', '-f', path.join(dir, 'deploy.yaml'))).toContain('unchanged');
    await writeFile(path.join(dir, 'deploy.yaml'), DEPLOYMENT.replace('replicas: 3', 'replicas: 4'));
    expect(await kubectl('apply', '-f', path.join(dir, 'deploy.yaml'))).toContain('configured');
    const d = (await client.get('/apis/apps/v1/namespaces/kt/deployments/web')).body;
    expect(d.spec.replicas).toBe(4);
    expect(d.metadata.generation).toBe(2);
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"replicas":4');
    expect(await kubectl('apply', '--server-side', '-f', path.join(dir, 'pod.yaml'))).toContain('serverside-applied');
  });

  it('gets pods as JSON and as a table', async () => {
    // The sim's scheduler places p1 soon after apply, not necessarily before this test.
    await eventually(() => client.get('/api/v1/namespaces/kt/pods/p1'), (r) => Boolean(r.body.spec?.nodeName), 30_000, 'p1 to be scheduled');
    const list = JSON.parse(await kubectl('get', 'pods', '-n', 'kt', '-l', 'app=p', '-o', 'json'));
    expect(list.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['p1']);
    expect(list.items[0].status.qosClass).toBe('Burstable');
    expect(list.items[0].spec.nodeName).toMatch(/^sim-node-/);
    const table = await kubectl('get', 'pods', '-n', 'kt', '-l', 'app=p');
    expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    // The sim's scheduler and kubelets run it (default startup delay 800 ms).
    expect(table).toMatch(/p1\s+[01]\/1\s+(Pending|ContainerCreating|Running)/);
  });

  it('scales a Deployment through the scale subresource', async () => {
    expect(await kubectl('scale', 'deployment', 'web', '-n', 'kt', '--replicas=2')).toContain('scaled');
    expect((await client.get('/apis/apps/v1/namespaces/kt/deployments/web')).body.spec.replicas).toBe(2);
  });

  it('waits with kubectl wait and kubectl rollout status', async () => {
    expect(await kubectl('wait', '--for=condition=Ready', 'pod/p1', '-n', 'kt', '--timeout=60s')).toContain('pod/p1 condition met');
    expect(await kubectl('wait', '--for=jsonpath={.status.phase}=Running', 'pod/p1', '-n', 'kt', '--timeout=60s')).toContain('condition met');
    expect(await kubectl('rollout', 'status', 'deployment/web', '-n', 'kt', '--timeout=60s')).toContain('successfully rolled out');
    expect(await kubectl('wait', '--for=condition=Available', 'deployment/web', '-n', 'kt', '--timeout=60s')).toContain('condition met');
    // A finalizer holds the deletion until kubectl wait is watching (its -v=6 log says so).
    await client.post('/api/v1/namespaces/kt/configmaps', { metadata: { name: 'gone', finalizers: ['kbench.io/test'] } });
    await kubectl('delete', 'configmap', 'gone', '-n', 'kt', '--wait=false');
    const w = spawn('kubectl', ['wait', '--for=delete', 'configmap/gone', '-n', 'kt', '--timeout=60s', '-v=6', `--cache-dir=${path.join(dir, 'cache')}`], { env });
    watchers.push(w);
    let out = '';
    let log = '';
    w.stdout.on('data', (c: Buffer) => (out += c.toString()));
    w.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => w.once('exit', r));
    await eventually(() => log, (l) => /GET https:\/\/\S+\/configmaps\?\S*watch=true/.test(l), 30_000, 'kubectl wait to watch');
    await client.patch('/api/v1/namespaces/kt/configmaps/gone', { metadata: { finalizers: null } });
    expect(await exited).toBe(0);
    expect(out).toContain('configmap/gone condition met');
  });

  it('sees a change with kubectl get --watch', async () => {
    const w = spawn('kubectl', ['get', 'pods', '-n', 'kt', '--watch', '-o', 'json', '--output-watch-events', `--cache-dir=${path.join(dir, 'cache')}`], { env });
    watchers.push(w);
    let out = '';
    w.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(() => out, (o) => /"name":\s*"p1"/.test(o), 30_000, 'the initial listing');
    await client.patch('/api/v1/namespaces/kt/pods/p1', { metadata: { labels: { touched: 'yes' } } });
    await eventually(() => out, (o) => /"type":\s*"MODIFIED"/.test(o) && /"touched":\s*"yes"/.test(o), 30_000, 'the MODIFIED event');
    w.kill('SIGTERM');
  });

  it('deletes a namespace and everything in it', async () => {
    expect(await kubectl('delete', 'namespace', 'kt', '--timeout=60s')).toContain('namespace "kt" deleted');
    expect((await client.get('/api/v1/namespaces/kt')).status).toBe(404);
    expect((await client.get('/api/v1/pods?fieldSelector=metadata.namespace%3Dkt')).body.items).toEqual([]);
    expect((await client.get('/apis/apps/v1/deployments')).body.items.filter((d: { metadata: { namespace: string } }) => d.metadata.namespace === 'kt')).toEqual([]);
  });
});
