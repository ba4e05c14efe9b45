import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { KWOK_STAGE_FILES } from './components.js';
import type { LocalSettings } from './settings.js';

/** kwok Stage delay: a uniform draw in [durationMilliseconds, jitterDurationMilliseconds]. */
export interface StageDelay {
  durationMilliseconds: number;
  jitterDurationMilliseconds: number;
}

/**
 * The delays kbench sets on kwok's published stages: pods Running after delay ± jitter (the
 * sim's podStartupDelay/Jitter), deleted pods gone after the termination delay, node status
 * heartbeats every interval plus up to a tenth (as kwokctl sets them).
 */
export function stageDelays(s: LocalSettings): Record<string, StageDelay> {
  const lo = Math.max(0, s.podStartupDelayMs - s.podStartupJitterMs);
  return {
    'pod-ready': { durationMilliseconds: Math.round(lo), jitterDurationMilliseconds: Math.round(s.podStartupDelayMs + s.podStartupJitterMs) },
    'pod-delete': { durationMilliseconds: Math.round(s.podTerminationDelayMs), jitterDurationMilliseconds: Math.round(s.podTerminationDelayMs) },
    'node-heartbeat-with-lease': { durationMilliseconds: Math.round(s.nodeStatusIntervalMs), jitterDurationMilliseconds: Math.round(s.nodeStatusIntervalMs * 1.1) },
  };
}

/**
 * kwok's worker counts. Its defaults (4 each) are far below what independent kubelets do:
 * 4 pod status writes in flight at ~300 ms a PATCH on a loaded 2-core machine is some 13
 * pods/s to Running (workloads/density.yaml: 3,000 bound pods took 264 s to turn Running);
 * 4,100 node leases renewed every 10 s need 410 renewals/s, which 8 renewers at ~30 ms do
 * not reach (nodes went NotReady). Real kubelets write one per node.
 */
export const KWOK_OPTIONS = { podPlayStageParallelism: 32, nodePlayStageParallelism: 16, nodeLeaseParallelism: 64 } as const;

interface StageDoc {
  kind?: string;
  metadata?: { name?: string };
  spec?: { delay?: StageDelay };
}

/**
 * kwok's configuration: the pinned module's stage files (copied into the build cache) with
 * kbench's delays, as one multi-document YAML for `kwok --config`.
 */
export async function kwokConfig(stagesDir: string, s: LocalSettings): Promise<string> {
  const delays = stageDelays(s);
  const docs: string[] = [stringify({ apiVersion: 'config.kwok.x-k8s.io/v1alpha1', kind: 'KwokConfiguration', options: KWOK_OPTIONS })];
  for (const f of KWOK_STAGE_FILES) {
    const file = path.join(stagesDir, path.basename(f));
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const stage = doc.toJS() as StageDoc | null;
      if (!stage) continue;
      if (stage.kind !== 'Stage' || !stage.spec) throw new Error(`${file}: not a kwok Stage`);
      const delay = delays[stage.metadata?.name ?? ''];
      if (delay) stage.spec.delay = delay;
      docs.push(stringify(stage));
    }
  }
  return docs.join('---\n');
}
