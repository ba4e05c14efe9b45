import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { findOnPath } from '../../src/sim/storage/etcd-process.js';
import { kbench } from '../helpers/cli.js';
import { startTestSim } from '../helpers/sim-fixture.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const RUN_ID = '20261201t101500-a1b2c3';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

async function manifests(workload: string, extra: string[] = []): Promise<Obj[]> {
  const res = await kbench(['job', path.join(ROOT, workload), '--shards', '3', '--image', 'registry.example.com/kbench:dev', '--namespace', 'kbench-jobs', '--run-id', RUN_ID, ...extra]);
  expect(res.code, res.stderr).toBe(0);
  return parseAllDocuments(res.stdout).map((d) => d.toJSON() as Obj);
}

describe('kbench job: the manifests', () => {
  it('an Indexed Job whose pod i runs shard i of N, with the workload mounted and the results uploaded', async () => {
    const objs = await manifests('workloads/smoke.yaml', ['--set', 'phases[1].create.count=50', '--seed', '7']);
    expect(objs.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Role', 'RoleBinding', 'ConfigMap', 'Job']);
    const job = objs.find((o) => o.kind === 'Job') as Obj & { spec: Record<string, any> };
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 1 });
    const c = job.spec.template.spec.containers[0];
    expect(c.args.slice(0, 4)).toEqual(['run', '/workload/smoke.yaml', '--shard', '$(JOB_COMPLETION_INDEX)/3']);
    expect(c.args).toEqual(expect.arrayContaining(['--run-id', RUN_ID, '--upload-results', '--coordination-namespace', 'kbench-jobs', '--set', 'phases[1].create.count=50', '--seed', '7']));
    expect(job.spec.template.spec.serviceAccountName).toBe(`kbench-${RUN_ID}`);
    const cm = objs.find((o) => o.kind === 'ConfigMap') as Obj & { data: Record<string, string> };
    expect(cm.data['workload.yaml']).toBe(await readFile(path.join(ROOT, 'workloads/smoke.yaml'), 'utf8'));
    const items = job.spec.template.spec.volumes[0].configMap.items as { key: string; path: string }[];
    expect(items.map((i) => i.path).sort()).toEqual(['smoke.yaml', 'templates/deployment.yaml', 'templates/pod.yaml']);
  });

  it('least RBAC: only the verbs the workload uses, on the resources it uses', async () => {
    const objs = await manifests('workloads/api-mix.yaml', ['--collector-shard', 'none']);
    const cr = objs.find((o) => o.kind === 'ClusterRole') as Obj & { rules: { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }[] };
    const verbs = (group: string, resource: string): string[] => cr.rules.filter((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource)).flatMap((r) => r.verbs).sort();
    expect(verbs('', 'configmaps')).toEqual(['create', 'get', 'list', 'patch', 'update']);
    expect(verbs('apps', 'deployments')).toEqual(['create']);
    expect(verbs('apps', 'deployments/scale')).toEqual(['patch']);
    expect(verbs('', 'pods')).toEqual(['list', 'list', 'watch']);
    expect(verbs('', 'namespaces')).toEqual(['create', 'delete', 'get']);
    // No collector: no /metrics and no kube-system Role.
    expect(cr.rules.flatMap((r) => r.nonResourceURLs ?? [])).toEqual(['/version', '/readyz']);
    expect(objs.filter((o) => o.metadata.namespace === 'kube-system')).toEqual([]);
    expect(objs.some((o) => JSON.stringify(o).includes('"*"'))).toBe(false);
  });

  it('bad input: exit 2 with one paragraph, nothing printed to apply', async () => {
    const noImage = await kbench(['job', path.join(ROOT, 'workloads/smoke.yaml'), '--shards', '2']);
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toMatch(/needs --image/);
    const tooMany = await kbench(['job', path.join(ROOT, 'workloads/smoke.yaml'), '--shards', '3', '--image', 'x', '--set', 'phases[1].create.count=2']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/cannot be split into 3 shards: phase get-pods: shard 2 of 3/);
    expect(tooMany.stdout).toBe('');
  });
});

describe('kbench job: a real apiserver accepts the manifests (server-side dry run on the sim)', () => {
  let dir: string;
  let stop: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  const kubectl = async (...args: string[]): Promise<{ code: number; out: string }> => {
    try {
      const { stdout, stderr } = await run('kubectl', [...args, `--cache-dir=${path.join(dir, 'cache')}`], { env, timeout: 60_000 });
      return { code: 0, out: stdout + stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: x.code ?? 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
    }
  };

  beforeAll(async () => {
    if (!findOnPath('kubectl')) throw new Error('kubectl is not on PATH (Debian: apt-get install -y kubernetes-client); the README test command installs it');
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-job-'));
    const t = await startTestSim({ storage: 'memory', nodes: 1 });
    stop = t.stop;
    env = { ...process.env, KUBECONFIG: t.sim.kubeconfigPath, HOME: dir };
    expect((await kubectl('create', 'namespace', 'kbench-jobs')).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(['workloads/smoke.yaml', 'workloads/150k-pods.yaml', 'workloads/api-mix.yaml'])('%s in 3 shards: kubectl apply --dry-run=server accepts every object', async (w) => {
    const objs = await manifests(w);
    const file = path.join(dir, 'job.yaml');
    await writeFile(file, objs.map((o) => stringify(o)).join('---\n'));
    const r = await kubectl('apply', '--dry-run=server', '-f', file);
    expect(r.out).not.toMatch(/error|invalid/i);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`job.batch/kbench-${RUN_ID} created (server dry run)`);
    expect(r.out).toContain(`clusterrole.rbac.authorization.k8s.io/kbench-${RUN_ID} created (server dry run)`);
    // A dry run stores nothing.
    expect((await kubectl('get', 'jobs', '-n', 'kbench-jobs', '-o', 'name')).out.trim()).toBe('');
  });

  it('and refuses manifests a real apiserver refuses (the dry run can fail)', async () => {
    const objs = await manifests('workloads/smoke.yaml');
    const job = objs.find((o) => o.kind === 'Job') as Obj & { spec: Record<string, any> };
    const broken: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['Indexed without completions', (s) => delete s.completions, /spec.completions: Required value/],
      ['FailIndex without backoffLimitPerIndex', (s) => delete s.backoffLimitPerIndex, /requires the backoffLimitPerIndex to be set/],
      ['podFailurePolicy with restartPolicy OnFailure', (s) => (s.template.spec.restartPolicy = 'OnFailure'), /only "Never" is supported when podFailurePolicy is specified/],
    ];
    for (const [what, breakIt, message] of broken) {
      const copy = JSON.parse(JSON.stringify(job)) as typeof job;
      breakIt(copy.spec);
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, stringify(copy));
      const r = await kubectl('apply', '--dry-run=server', '-f', file);
      expect(r.code, what).not.toBe(0);
      expect(r.out, what).toMatch(message);
    }
    const role = objs.find((o) => o.kind === 'Role') as Obj & { rules: Record<string, unknown>[] };
    const withUrl = { ...role, rules: [...role.rules, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] };
    await writeFile(path.join(dir, 'bad-role.yaml'), stringify(withUrl));
    const r = await kubectl('apply', '--dry-run=server', '-f', path.join(dir, 'bad-role.yaml'));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/namespaced rules cannot apply to non-resource URLs/);
  });
});
