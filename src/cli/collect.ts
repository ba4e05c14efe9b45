import { createHash } from 'node:crypto';
import path from 'node:path';
import type { LoadedWorkload } from '../spec/load.js';
import { resolveWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from './errors.js';
import type { CollectCommandArgs } from './flags.js';
import { defaultOut, runOnTarget } from './run.js';
import { loadOrThrow } from './validate.js';

/**
 * Measure only: the collectors and the pod tracker watch a cluster someone else loads, for
 * a fixed time, and write the same result set a run does (one phase, `collect`).
 */
export async function collectHandler(args: CollectCommandArgs): Promise<void> {
  let durationMs: number;
  try {
    durationMs = parseDuration(args.duration);
  } catch (e) {
    throw new UsageError(`--duration ${args.duration}: ${(e as Error).message}`);
  }
  if (durationMs < 1000) throw new UsageError(`--duration ${args.duration}: at least 1s`);
  // A workload file lends its collect:, slo: and sim: blocks; its phases are not run.
  const base = args.workload ? loadOrThrow(args.workload, args.set).loaded.workload.spec : undefined;
  const spec: WorkloadSpec = {
    name: base ? `collect-${base.name}`.slice(0, 40).replace(/-+$/, '') : 'collect',
    description: `kbench collect for ${args.duration}${args.selector ? ` (pods: ${args.selector})` : ''}`,
    timeout: `${Math.ceil(durationMs / 1000) + 600}s`,
    phases: [{ name: 'collect', sleep: args.duration }],
    ...(base?.slo ? { slo: base.slo } : {}),
    ...(base?.collect ? { collect: base.collect } : {}),
    ...(base?.sim ? { sim: base.sim } : {}),
  };
  const loaded: LoadedWorkload = {
    file: args.workload ? path.resolve(args.workload) : path.resolve('kbench-collect'),
    sha256: createHash('sha256').update(JSON.stringify(spec)).digest('hex'),
    spec,
    templates: new Map(),
    overrides: args.set,
  };
  const w = resolveWorkload(loaded);
  await runOnTarget({
    workload: w,
    resolvedSpec: spec,
    title: `kbench collect ${args.duration}`,
    out: args.out ?? defaultOut(w.name),
    target: args,
    collect: { ...args, collect: true },
    cleanup: () => 'none',
    measureOnly: { podSelector: args.selector },
  });
}

