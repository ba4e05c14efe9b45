import { createHash } from 'node:crypto';
import os from 'node:os';
import { KubeClient } from '../cluster/kube-client.js';
import { RUN_ID_PATTERN } from '../load/labels.js';
import { CoordinationConflict, CoordinationError, type OnShardLoss, ShardAlreadyDone, ShardCoordinator } from '../run/coordination.js';
import type { ShardRun } from '../run/shard-run.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { parseShard, type ShardPlan, shardProblems, shardWorkload } from '../spec/shard.js';
import { parseDuration } from '../util/duration.js';
import { RunError, UsageError } from './errors.js';
import type { ShardArgs } from './flags.js';
import { uploadResults } from '../job/results-store.js';
import type { OpenedTarget } from './open-target.js';

function duration(value: string, flag: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new UsageError(`${flag} ${value}: ${(e as Error).message}`);
  }
}

/** A sharded run's plan from its flags, checked before anything touches a cluster. */
export interface ShardSetup {
  plan: ShardPlan;
  runId: string;
  collector: boolean;
  onLoss: OnShardLoss;
  namespace: string;
  deadAfterMs: number;
  joinTimeoutMs: number;
  upload: boolean;
}

export function shardSetup(args: ShardArgs & { sim: boolean }, w: ResolvedWorkload): ShardSetup | undefined {
  if (args.shard === undefined) {
    if (args.uploadResults) throw new UsageError('--upload-results is for the shards of a sharded run (--shard i/N)');
    if (args.runId !== undefined) throw new UsageError('--run-id is for sharded runs: give --shard i/N too (a single run makes its own id)');
    return undefined;
  }
  const ref = parseShard(args.shard);
  if (typeof ref === 'string') throw new UsageError(`--shard ${ref}`);
  if (args.sim) throw new UsageError('--shard with --sim: every shard would start a sim of its own. Start one (`kbench sim`) and point every shard at it with --kubeconfig');
  if (!args.runId) throw new UsageError(`--shard ${args.shard} needs --run-id: the id every shard of the run shares (for example ${exampleRunId()}, fresh from \`kbench validate ${w.file} --shards ${ref.count}\`)`);
  if (!RUN_ID_PATTERN.test(args.runId)) throw new UsageError(`--run-id ${args.runId}: expected a run id like ${exampleRunId()} (UTC time, then 6 hex digits)`);
  const problems = shardProblems(w, ref.count);
  if (problems.length > 0) throw new UsageError(`${w.file} cannot be split into ${ref.count} shards: ${problems.join('; ')}`);
  const collector = args.collectorShard === 'none' ? -1 : Number(args.collectorShard);
  if (!Number.isInteger(collector) || collector < -1 || collector >= ref.count) throw new UsageError(`--collector-shard ${args.collectorShard}: expected a shard, 0 to ${ref.count - 1}, or none`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(args.coordinationNamespace)) throw new UsageError(`--coordination-namespace ${args.coordinationNamespace}: not a namespace name`);
  const deadAfterMs = duration(args.shardTimeout, '--shard-timeout');
  if (deadAfterMs < 3000) throw new UsageError(`--shard-timeout ${args.shardTimeout}: at least 3s (Leases are renewed every second)`);
  return {
    plan: shardWorkload(w, ref),
    runId: args.runId,
    collector: collector === ref.index,
    onLoss: args.onShardLoss as OnShardLoss,
    namespace: args.coordinationNamespace,
    deadAfterMs,
    joinTimeoutMs: duration(args.joinTimeout, '--join-timeout'),
    upload: args.uploadResults,
  };
}

function exampleRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', 't').toLowerCase()}-${createHash('sha256').update(String(process.pid)).digest('hex').slice(0, 6)}`;
}

/** sha256 of what every shard must run the same: the spec after --set, and the seed. */
export function specHash(spec: WorkloadSpec, seed: number): string {
  return createHash('sha256').update(JSON.stringify({ spec, seed })).digest('hex');
}

/** Who this process is, in the shard's Lease: the pod (in a Job) or host/pid. */
export function holderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME ? `pod ${env.POD_NAMESPACE ? `${env.POD_NAMESPACE}/` : ''}${env.POD_NAME}` : `${os.hostname()}/${process.pid}`;
}

/**
 * Joins the run on the opened target. Returns undefined when an earlier process already
 * ran this shard to completion (nothing to do). Maps the coordination's refusals to
 * exit codes: another workload or a live holder of the shard is bad input (2); a run that
 * went on without this shard is a failure (1).
 */
export async function joinShard(
  setup: ShardSetup,
  spec: WorkloadSpec,
  w: ResolvedWorkload,
  opened: OpenedTarget,
  signal: AbortSignal,
  info: (line: string) => void,
): Promise<{ run: ShardRun; close(): Promise<void> } | undefined> {
  const client = new KubeClient(opened.connection, { timeoutMs: 10_000, maxRetries: 2 });
  const coordinator = new ShardCoordinator({
    client,
    namespace: setup.namespace,
    identity: { runId: setup.runId, workload: w.name, specHash: specHash(spec, w.seed), shards: setup.plan.shard.count },
    shard: setup.plan.shard,
    onLoss: setup.onLoss,
    holder: holderIdentity(),
    deadAfterMs: setup.deadAfterMs,
    joinTimeoutMs: setup.joinTimeoutMs,
  });
  try {
    await coordinator.join(signal);
    await coordinator.awaitJoined(signal, (missing) => info(`waiting for shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${setup.plan.shard.count} to join (--join-timeout ${setup.joinTimeoutMs / 1000} s)`));
  } catch (e) {
    // The others learn at once that this one will not take part.
    if (!(e instanceof ShardAlreadyDone) && !(e instanceof CoordinationConflict)) await coordinator.finish(signal.aborted ? 'interrupted' : 'failed', false, (e as Error).message).catch(() => undefined);
    await coordinator.stop();
    await client.close();
    if (e instanceof ShardAlreadyDone) return undefined;
    if (e instanceof CoordinationConflict) throw new UsageError(e.message);
    if (e instanceof CoordinationError) throw new RunError(e.message);
    if (signal.aborted) throw new RunError(`interrupted while shard ${setup.plan.shard.index} waited for the others to join; nothing was run`);
    throw new RunError(`shard ${setup.plan.shard.index} of run ${setup.runId} could not join (${coordinator.where}): ${(e as Error).message}`);
  }
  return {
    run: { runId: setup.runId, ref: setup.plan.shard, coordinator, onLoss: setup.onLoss, collector: setup.collector },
    close: async () => {
      await coordinator.stop();
      await client.close();
    },
  };
}

/**
 * `--upload-results`: the shard's result folder into the cluster, whatever the run's
 * outcome (a failed or interrupted run's partial result set is worth keeping too).
 */
export async function uploadShardResults(setup: ShardSetup, opened: OpenedTarget, dir: string, info: (line: string) => void): Promise<void> {
  const client = new KubeClient(opened.connection, { timeoutMs: 30_000 });
  try {
    const idx = await uploadResults(client, { namespace: setup.namespace, runId: setup.runId, shard: setup.plan.shard.index, holder: holderIdentity(), dir });
    info(`result set uploaded: ${idx.files} files, ${Math.round(idx.bytes / 1024)} KiB gzipped in ${idx.parts + 1} ConfigMaps of namespace ${setup.namespace} (attempt ${idx.attempt}); \`kbench job results ${setup.runId} -n ${setup.namespace}\` fetches it`);
  } finally {
    await client.close();
  }
}
