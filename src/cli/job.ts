import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { KubeClient } from '../cluster/kube-client.js';
import { chooseTarget, connect, TargetError } from '../cluster/target.js';
import { jobManifests, jobNames, JobSpecError } from '../job/manifests.js';
import { downloadResults, type StoredResult } from '../job/results-store.js';
import { newRunId, RUN_ID_PATTERN } from '../load/labels.js';
import { runConfigMapName } from '../run/coordination.js';
import { MAX_SHARDS, shardProblems } from '../spec/shard.js';
import { RunError, UsageError } from './errors.js';
import type { JobArgs, JobResultsArgs, KubeconfigArgs } from './flags.js';
import { mergeFolders, reportMerged } from './merge.js';
import { loadOrThrow, seedFlag } from './validate.js';


async function client(args: KubeconfigArgs): Promise<KubeClient> {
  try {
    const choice = chooseTarget({ kubeconfig: args.kubeconfig, context: args.context });
    if (choice.kind === 'none') throw new UsageError('no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config): kbench job needs the cluster the Job runs on');
    return new KubeClient(await connect(choice), { timeoutMs: 30_000 });
  } catch (e) {
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
}

function apiPath(o: { apiVersion: string; kind: string; metadata: { namespace?: string } }): string {
  const plural: Record<string, string> = { ServiceAccount: 'serviceaccounts', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings', ConfigMap: 'configmaps', Job: 'jobs' };
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural[o.kind]!}`;
}

export async function jobHandler(args: JobArgs): Promise<void> {
  if (!args.workload) throw new UsageError('kbench job needs a workload: kbench job <workload> --shards N --image IMAGE (or kbench job results <run id>)');
  if (args.shards === undefined) throw new UsageError('kbench job needs --shards N');
  if (!args.image) throw new UsageError('kbench job needs --image IMAGE (build it from the Dockerfile in the repository: docs/shards.md)');
  if (!Number.isInteger(args.shards) || args.shards < 1 || args.shards > MAX_SHARDS) throw new UsageError(`--shards ${String(args.shards)}: expected a whole number, 1 to ${MAX_SHARDS}`);
  const seed = seedFlag(args.seed);
  const w = loadOrThrow(args.workload, args.set, seed);
  const problems = shardProblems(w, args.shards);
  if (problems.length > 0) throw new UsageError(`${args.workload} cannot be split into ${args.shards} shards: ${problems.join('; ')}`);
  const runId = args.runId ?? newRunId();
  if (!RUN_ID_PATTERN.test(runId)) throw new UsageError(`--run-id ${runId}: expected a run id like ${newRunId()}`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(args.namespace)) throw new UsageError(`--namespace ${args.namespace}: not a namespace name`);
  const collector = args.collectorShard === 'none' ? undefined : Number(args.collectorShard);
  if (collector !== undefined && (!Number.isInteger(collector) || collector < 0 || collector >= args.shards)) throw new UsageError(`--collector-shard ${args.collectorShard}: expected 0 to ${args.shards - 1}, or none`);
  const runArgs = [...args.set.flatMap((s) => ['--set', s]), ...(seed !== undefined ? ['--seed', String(seed)] : []), '--on-shard-loss', args.onShardLoss];
  let objects;
  try {
    objects = jobManifests({ workload: w, shards: args.shards, image: args.image, namespace: args.namespace, runId, runArgs, ...(collector !== undefined ? { collectorShard: collector } : {}), cpu: args.cpu, memory: args.memory });
  } catch (e) {
    if (e instanceof JobSpecError) throw new UsageError(e.message);
    throw e;
  }
  const yaml = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  const next = `kbench job results ${runId} --namespace ${args.namespace} --out results/${w.name}-${runId}`;
  if (!args.apply) {
    if (args.out) {
      await writeFile(args.out, yaml);
      console.error(`wrote ${objects.length} objects of run ${runId} to ${args.out}: kubectl apply -f ${args.out}, then, when the Job is done: ${next}`);
    } else {
      process.stdout.write(yaml);
      console.error(`# run ${runId}: kubectl apply -f <this>, then, when the Job is done: ${next}`);
    }
    return;
  }
  const c = await client(args);
  const created: typeof objects = [];
  try {
    for (const o of objects) {
      const res = await c.call('POST', apiPath(o), { body: o });
      if (res.status < 200 || res.status >= 300) throw new RunError(`cannot create ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}: ${res.status} ${res.body.slice(0, 300)}`);
      created.push(o);
    }
  } catch (e) {
    // Nothing half-done: what was created is removed again.
    for (const o of created.reverse()) await c.call('DELETE', `${apiPath(o)}/${o.metadata.name}`, { body: { propagationPolicy: 'Background' } }).catch(() => undefined);
    await c.close();
    throw e;
  }
  await c.close();
  console.log(`run ${runId}: Job ${args.namespace}/${jobNames(runId).job} with ${args.shards} shards (and its ServiceAccount, RBAC and workload ConfigMap) created`);
  console.log(`follow it:   kubectl -n ${args.namespace} get pods -l job-name=${jobNames(runId).job}`);
  console.log(`results:     ${next}`);
}

/** Chooses, per shard, the attempt to merge: a complete one, else the latest; the others are kept beside it. */
function chooseAttempts(results: StoredResult[]): Map<number, StoredResult> {
  const rank = (r: StoredResult): number => (r.index.status === 'complete' ? 2 : r.index.status === 'running' ? 0 : 1);
  const chosen = new Map<number, StoredResult>();
  for (const r of results) {
    const cur = chosen.get(r.index.shard);
    if (!cur || rank(r) > rank(cur) || (rank(r) === rank(cur) && r.index.uploadedAt > cur.index.uploadedAt)) chosen.set(r.index.shard, r);
  }
  return chosen;
}

export async function jobResultsHandler(args: JobResultsArgs): Promise<void> {
  if (!RUN_ID_PATTERN.test(args.runId)) throw new UsageError(`${args.runId}: not a run id (kbench job printed it: 20261201t101500-a1b2c3)`);
  const out = path.resolve(args.out);
  const existing = await readdir(out).catch(() => []);
  if (existing.length > 0) throw new UsageError(`--out ${args.out} already exists and is not empty; choose another`);
  const c = await client(args);
  let fetched;
  let record: Record<string, string> = {};
  try {
    const cm = await c.call('GET', `/api/v1/namespaces/${args.namespace}/configmaps/${runConfigMapName(args.runId)}`);
    if (cm.status === 404) throw new UsageError(`run ${args.runId} has no coordination ConfigMap in namespace ${args.namespace} (${runConfigMapName(args.runId)}): wrong --namespace, or its shards never started`);
    if (cm.status !== 200) throw new RunError(`cannot read ${args.namespace}/${runConfigMapName(args.runId)}: ${cm.status} ${cm.body.slice(0, 200)}`);
    record = (JSON.parse(cm.body) as { data?: Record<string, string> }).data ?? {};
    fetched = await downloadResults(c, { namespace: args.namespace, runId: args.runId, into: path.join(out, 'shards') });
  } catch (e) {
    if (e instanceof UsageError || e instanceof RunError) throw e;
    throw new RunError(`fetching the results of run ${args.runId}: ${(e as Error).message}`);
  } finally {
    await c.close();
  }
  const count = record.run ? (JSON.parse(record.run) as { shards: number }).shards : 0;
  console.log(`run ${args.runId}: ${fetched.results.length} result set${fetched.results.length === 1 ? '' : 's'} uploaded by ${count} shards' pods`);
  const chosen = chooseAttempts(fetched.results);
  for (const r of fetched.results) {
    const used = chosen.get(r.index.shard) === r;
    const final = path.join(out, 'shards', `shard-${r.index.shard}${used ? '' : `-attempt-${r.index.attempt}`}`);
    await rename(r.dir, final);
    r.dir = final;
    console.log(`  shard ${r.index.shard}: ${path.relative(process.cwd(), final)}  ${r.index.status}  (${r.index.holder}, uploaded ${r.index.uploadedAt})${used ? '' : '  not merged: another attempt of this shard is'}`);
  }
  for (const i of fetched.incomplete) console.log(`  shard ${i.shard}: an upload that never finished (attempt ${i.attempt}, ${i.parts} part(s)): its pod died while uploading`);
  for (let i = 0; i < count; i++) {
    if (chosen.has(i)) continue;
    const lost = record[`lost-${i}`] ? (JSON.parse(record[`lost-${i}`]!) as { reason: string }).reason : undefined;
    console.log(`  shard ${i}: no result set${lost ? ` (lost: ${lost})` : ''}`);
  }
  if (chosen.size === 0) throw new RunError(`no shard of run ${args.runId} uploaded a result set yet (is the Job still running? kubectl -n ${args.namespace} get pods -l job-name=${jobNames(args.runId).job})`);
  await mkdir(out, { recursive: true });
  console.log('');
  const merged = await mergeFolders(
    [...chosen.values()].map((r) => r.dir),
    path.join(out, 'merged'),
    { allowMissing: true, args: process.argv.slice(2) },
  );
  await reportMerged(merged);
}
