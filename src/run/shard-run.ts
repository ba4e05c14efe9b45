import type { KubeClient } from '../cluster/kube-client.js';
import type { CleanupReport, NamespaceCleanup, RunStatus, ShardOfRun } from '../results/format.js';
import type { ShardRef } from '../spec/shard.js';
import { cleanupReport, deleteRunNamespaces } from './cleanup.js';
import type { OnShardLoss, ShardCoordinator } from './coordination.js';
import { createRunNamespaces } from './namespaces.js';

/** What a run needs to be one shard of a sharded run. */
export interface ShardRun {
  /** The run id every shard shares. */
  runId: string;
  ref: ShardRef;
  /** Joined already (kbench run joins before it creates anything). */
  coordinator: ShardCoordinator;
  onLoss: OnShardLoss;
  /** This shard scrapes the control plane (one shard of the run does). */
  collector: boolean;
}

export function shardManifest(s: ShardRun): ShardOfRun {
  return { index: s.ref.index, count: s.ref.count, coordination: s.coordinator.where, onLoss: s.onLoss, lost: s.coordinator.lost(), collector: s.collector };
}

function ownerOf(n: number, count: number): number {
  return n % count;
}

/**
 * A shard lost before the first phase never made its namespaces, where the other shards'
 * objects go too: with --on-shard-loss continue, the shards still in the run make them.
 */
export async function adoptLostNamespaces(s: ShardRun, client: KubeClient, namespaces: readonly string[], runId: string, workload: string): Promise<void> {
  const lost = new Set(s.coordinator.lost().map((l) => l.index));
  if (lost.size === 0) return;
  await createRunNamespaces(
    client,
    namespaces.filter((_, n) => lost.has(ownerOf(n, s.ref.count))),
    runId,
    workload,
  );
}

/**
 * A shard's cleanup: its namespaces hold every shard's objects, so they go only when no
 * other shard is still measuring. A shard that ended with its phases done waits for the
 * others however long they take; one that ended early waits `waitMs` and otherwise leaves
 * its namespaces to the others. The lowest shard still present also deletes the
 * namespaces of the shards that left or were lost.
 */
export async function shardCleanup(
  s: ShardRun,
  o: { client: KubeClient; namespaces: readonly string[]; status: RunStatus; action: CleanupReport['action']; waitMs: number; signal?: AbortSignal; info(line: string): void },
): Promise<CleanupReport> {
  const c = s.coordinator;
  try {
    await c.setCleanup('ready');
    const own = o.namespaces.filter((_, n) => ownerOf(n, s.ref.count) === s.ref.index);
    if (o.action === 'keep') {
      await c.setCleanup('done');
      return cleanupReport('keep', own.map((name): NamespaceCleanup => ({ name, result: 'kept' })), s.runId, 0);
    }
    if (o.action !== 'delete') return cleanupReport(o.action, [], s.runId, 0);
    // A signal ends this wait too: what the others still measure is left to them.
    const running = await c.othersEnded(o.status === 'complete' ? 24 * 3600_000 : Math.max(o.waitMs, 10_000), o.signal);
    if (running.length > 0) {
      await c.setCleanup('left');
      return {
        action: 'keep',
        message: `left to shard${running.length === 1 ? '' : 's'} ${running.join(', ')}, still running when this shard ended (the run's namespaces hold every shard's objects); \`kbench cleanup --run ${s.runId}\` removes them if they do not`,
        namespaces: own.map((name) => ({ name, result: 'kept' })),
      };
    }
    const duty = new Set(c.cleanupDuty());
    const mine = o.namespaces.filter((_, n) => duty.has(ownerOf(n, s.ref.count)));
    if (duty.size > 1) o.info(`deleting the namespaces of shard${duty.size > 2 ? 's' : ''} ${[...duty].filter((i) => i !== s.ref.index).join(', ')} too (they left the run)`);
    const report = await deleteRunNamespaces(o.client, mine, s.runId, { waitMs: o.waitMs, ...(o.signal ? { signal: o.signal } : {}) });
    await c.setCleanup('done');
    return report;
  } finally {
    await c.stop();
  }
}
