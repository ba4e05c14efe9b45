import { createInterface } from 'node:readline/promises';
import { KubeClient } from '../cluster/kube-client.js';
import { chooseTarget, connect, publicServer, TargetError } from '../cluster/target.js';
import { RUN_ID_PATTERN, RUN_LABEL } from '../load/labels.js';
import { deleteNamespaces } from '../run/cleanup.js';
import { parseDuration } from '../util/duration.js';
import { EXIT, RunError, UsageError } from './errors.js';
import type { CleanupArgs } from './flags.js';

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function cleanupHandler(args: CleanupArgs): Promise<void> {
  if (!args.run && !args.allRuns) throw new UsageError('name what to remove: --run <run id> (from a manifest.json) or --all-runs');
  if (args.run && args.allRuns) throw new UsageError('--run and --all-runs exclude each other');
  if (args.run && !RUN_ID_PATTERN.test(args.run)) throw new UsageError(`--run ${args.run}: not a kbench run id (like 20261122t043000-a1b2c3, from a result set's manifest.json)`);
  let waitMs: number;
  try {
    waitMs = parseDuration(args.wait);
  } catch (e) {
    throw new UsageError(`--wait ${args.wait}: ${(e as Error).message}`);
  }
  let conn;
  try {
    const choice = chooseTarget({ kubeconfig: args.kubeconfig, context: args.context });
    if (choice.kind === 'none') throw new UsageError('no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config): nothing to clean up');
    conn = await connect(choice);
  } catch (e) {
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
  const client = new KubeClient(conn, { maxRetries: 2 });
  const selector = args.run ? `${RUN_LABEL}=${args.run}` : RUN_LABEL;
  try {
    let list;
    try {
      list = await client.json<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>('GET', '/api/v1/namespaces', { query: { labelSelector: selector } });
    } catch (e) {
      throw new RunError(`cannot list namespaces on ${publicServer(conn)}: ${(e as Error).message}`);
    }
    // Only what kbench made: the label's value must be a run id as kbench writes them.
    const ours = list.items.filter((ns) => RUN_ID_PATTERN.test(ns.metadata.labels?.[RUN_LABEL] ?? ''));
    const skipped = list.items.length - ours.length;
    if (skipped > 0) console.log(`left alone: ${skipped} namespace(s) carry ${RUN_LABEL} with a value that is not a kbench run id`);
    if (ours.length === 0) {
      console.log(`nothing to remove: no namespace on ${publicServer(conn)} carries ${selector} with a kbench run id`);
      return;
    }
    const runs = [...new Set(ours.map((ns) => ns.metadata.labels![RUN_LABEL]!))];
    for (const ns of ours) console.log(`${args.dryRun ? 'would delete' : 'deleting'} namespace ${ns.metadata.name} (run ${ns.metadata.labels![RUN_LABEL]})`);
    if (args.dryRun) return;
    if (args.allRuns && !args.yes) {
      const question = `delete these ${ours.length} namespace(s) of ${runs.length} run(s) on ${publicServer(conn)}? [y/N] `;
      if (!process.stdin.isTTY) throw new UsageError(`--all-runs deletes ${ours.length} namespace(s) of ${runs.length} run(s) on ${publicServer(conn)}: confirm with --yes (no terminal to ask on)`);
      if (!(await confirm(question))) {
        console.log('nothing deleted');
        return;
      }
    }
    const fates = await deleteNamespaces(client, ours.map((ns) => ns.metadata.name), { waitMs });
    for (const f of fates) console.log(`namespace ${f.name}: ${f.result}${f.error ? ` (${f.error})` : ''}`);
    const failed = fates.filter((f) => f.result === 'failed');
    const terminating = fates.filter((f) => f.result === 'terminating');
    if (failed.length > 0) throw new RunError(`could not delete ${failed.length} of ${fates.length} namespace(s) on ${publicServer(conn)}; the first: ${failed[0]!.name}: ${failed[0]!.error}`);
    if (terminating.length > 0) {
      console.log(`${terminating.length} namespace(s) still terminating after ${args.wait}; run the same command again (or with a longer --wait) to confirm they are gone`);
      process.exitCode = EXIT.failed;
      return;
    }
    console.log(`removed: ${fates.length} namespace(s) of ${runs.length} run(s)`);
  } finally {
    await client.close();
  }
}

