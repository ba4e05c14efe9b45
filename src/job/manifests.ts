import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RUN_LABEL, WORKLOAD_LABEL } from '../load/labels.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import { clusterRules, COLLECTOR_KUBE_SYSTEM, COORDINATION, policyRule, type Rule } from './rbac.js';

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

/** A workload a Job cannot carry (a file it names is not beside it, or it is too big): bad input. */
export class JobSpecError extends Error {}

export interface JobOptions {
  workload: ResolvedWorkload;
  shards: number;
  image: string;
  namespace: string;
  runId: string;
  /** Flags passed on to every shard's `kbench run` (--set, --seed, --on-shard-loss, ...). */
  runArgs: string[];
  /** The collecting shard (the Job grants it /metrics and, on a real cluster, the scheduler's pod proxy), or undefined for none. */
  collectorShard?: number;
  cpu: string;
  memory: string;
}

/** Names of everything `kbench job` makes for one run. */
export function jobNames(runId: string): { job: string; serviceAccount: string; clusterRole: string; role: string; kubeSystemRole: string; workloadConfigMap: string } {
  const base = `kbench-${runId}`;
  return { job: base, serviceAccount: base, clusterRole: base, role: base, kubeSystemRole: `${base}-metrics`, workloadConfigMap: `${base}-workload` };
}

/** The workload file and its templates as ConfigMap keys, and the paths they are mounted at. */
function workloadFiles(w: ResolvedWorkload): { data: Record<string, string>; items: { key: string; path: string }[]; main: string } {
  const data: Record<string, string> = {};
  const items: { key: string; path: string }[] = [];
  const main = path.basename(w.file);
  data['workload.yaml'] = readFileSync(w.file, 'utf8');
  items.push({ key: 'workload.yaml', path: main });
  const refs = new Set<string>();
  for (const p of w.phases) if (p.create) refs.add(p.create.template.ref);
  let n = 0;
  for (const ref of [...refs].sort()) {
    const rel = path.posix.normalize(ref.replace(/\\/g, '/'));
    if (rel.startsWith('../') || path.posix.isAbsolute(rel)) throw new JobSpecError(`${w.file}: template ${ref} is outside the workload's folder; a Job carries the workload's folder only (move the template beside the workload)`);
    const key = `template-${n++}.yaml`;
    data[key] = w.phases.find((p) => p.create?.template.ref === ref)!.create!.template.text;
    items.push({ key, path: rel });
  }
  const c = w.collect as { sources?: Record<string, unknown>[] } & Record<string, unknown>;
  const files = JSON.stringify(c).match(/"(caFile|certFile|keyFile|tokenFile)"/g);
  if (files) throw new JobSpecError(`${w.file}: its collect: block names files (${[...new Set(files)].join(', ')}) that a Job's pods do not have; remove them, or build an image with them inside`);
  const size = Object.values(data).reduce((a, s) => a + Buffer.byteLength(s), 0);
  if (size > 900 * 1024) throw new JobSpecError(`${w.file} and its templates are ${Math.round(size / 1024)} KiB; a ConfigMap holds at most 1 MiB`);
  return { data, items, main };
}

function role(kind: 'ClusterRole' | 'Role', name: string, labels: Record<string, string>, rules: Rule[], namespace?: string): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels, annotations: { 'kbench.io/why': rules.map((r) => `${(r.resources ?? r.nonResourceURLs ?? []).join(',')} ${r.verbs.join(',')}: ${r.why}`).join('\n') } },
    rules: rules.map(policyRule),
  } as Obj;
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, labels: Record<string, string>, roleKind: 'ClusterRole' | 'Role', sa: string, saNamespace: string, namespace?: string): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: saNamespace }],
  } as Obj;
}

/**
 * Everything a sharded run needs as a Kubernetes Indexed Job, in apply order: the
 * ServiceAccount, the least RBAC for it (src/job/rbac.ts), the workload as a ConfigMap
 * mounted at /workload, and the Job (completionMode Indexed: pod index i runs
 * `kbench run --shard i/N`). Exit codes 1 (run failed), 2 (bad input) and 3 (SLO
 * violated) fail the index without a retry; a pod that dies otherwise is retried once,
 * and the retry either takes over the shard (before the run starts) or says it cannot.
 */
export function jobManifests(o: JobOptions): Obj[] {
  const w = o.workload;
  const names = jobNames(o.runId);
  const labels = { [RUN_LABEL]: o.runId, [WORKLOAD_LABEL]: w.name, 'app.kubernetes.io/name': 'kbench' };
  const files = workloadFiles(w);
  const collect = o.collectorShard !== undefined;
  const objects: Obj[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: names.serviceAccount, namespace: o.namespace, labels } },
    role('ClusterRole', names.clusterRole, labels, clusterRules(w, collect)),
    binding('ClusterRoleBinding', names.clusterRole, labels, 'ClusterRole', names.serviceAccount, o.namespace),
    role('Role', names.role, labels, COORDINATION, o.namespace),
    binding('RoleBinding', names.role, labels, 'Role', names.serviceAccount, o.namespace, o.namespace),
  ];
  if (collect) {
    objects.push(role('Role', names.kubeSystemRole, labels, COLLECTOR_KUBE_SYSTEM, 'kube-system'));
    const b = binding('RoleBinding', names.kubeSystemRole, labels, 'Role', names.serviceAccount, o.namespace, 'kube-system');
    objects.push(b);
  }
  objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: names.workloadConfigMap, namespace: o.namespace, labels }, data: files.data });
  const index = '$(JOB_COMPLETION_INDEX)';
  const args = [
    'run',
    `/workload/${files.main}`,
    '--shard',
    `${index}/${o.shards}`,
    '--run-id',
    o.runId,
    '--coordination-namespace',
    o.namespace,
    '--collector-shard',
    collect ? String(o.collectorShard) : 'none',
    '--out',
    `/results/shard-${index}`,
    '--upload-results',
    ...o.runArgs,
  ];
  objects.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: names.job, namespace: o.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.shards,
      backoffLimitPerIndex: 1,
      podFailurePolicy: {
        rules: [
          // kbench's own verdicts (run failed, bad input, SLO violated) are final: no retry.
          { action: 'FailIndex', onExitCodes: { containerName: 'kbench', operator: 'In', values: [1, 2, 3] } },
          // Evicted or preempted: not the shard's fault, so it does not use up the retry.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels: { ...labels, 'kbench.io/role': 'shard' } },
        spec: {
          serviceAccountName: names.serviceAccount,
          restartPolicy: 'Never',
          // Time to stop the load, write the results and upload them after SIGTERM.
          terminationGracePeriodSeconds: 120,
          containers: [
            {
              name: 'kbench',
              image: o.image,
              args,
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              resources: { requests: { cpu: o.cpu, memory: o.memory }, limits: { memory: o.memory } },
              volumeMounts: [
                { name: 'workload', mountPath: '/workload', readOnly: true },
                { name: 'results', mountPath: '/results' },
              ],
            },
          ],
          volumes: [
            { name: 'workload', configMap: { name: names.workloadConfigMap, items: files.items } },
            { name: 'results', emptyDir: {} },
          ],
        },
      },
    },
  });
  return objects;
}
