import type { Argv, CommandModule } from 'yargs';
import { KubeClient } from '../cluster/kube-client.js';
import { chooseTarget, connect, publicServer, TargetError } from '../cluster/target.js';
import { RUN_LABEL } from '../load/actions.js';
import { RunError, UsageError } from './errors.js';

interface CleanupArgs {
  run?: string;
  allRuns: boolean;
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
}

async function handler(args: CleanupArgs): Promise<void> {
  if (!args.run && !args.allRuns) throw new UsageError('name what to remove: --run <run id> (from a manifest.json) or --all-runs');
  if (args.run && args.allRuns) throw new UsageError('--run and --all-runs exclude each other');
  if (args.run && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(args.run)) throw new UsageError(`--run ${args.run}: not a run id (like 20261122t043000-a1b2c3)`);
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
  // Only objects carrying a kbench run label: everything kbench created lives in namespaces it labelled.
  const selector = args.run ? `${RUN_LABEL}=${args.run}` : RUN_LABEL;
  try {
    const list = await client.json<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>('GET', '/api/v1/namespaces', {
      query: { labelSelector: selector },
    });
    if (list.items.length === 0) {
      console.log(`nothing to remove: no namespace on ${publicServer(conn)} carries ${selector}`);
      return;
    }
    for (const ns of list.items) {
      const run = ns.metadata.labels?.[RUN_LABEL];
      if (args.dryRun) {
        console.log(`would delete namespace ${ns.metadata.name} (run ${run})`);
        continue;
      }
      await client.json('DELETE', `/api/v1/namespaces/${ns.metadata.name}`, { body: { propagationPolicy: 'Background' } });
      console.log(`deleted namespace ${ns.metadata.name} (run ${run})`);
    }
  } catch (e) {
    throw new RunError(`cleanup on ${publicServer(conn)} failed: ${(e as Error).message}`);
  } finally {
    await client.close();
  }
}

export const cleanupCommand: CommandModule<object, CleanupArgs> = {
  command: 'cleanup',
  describe: "Remove what earlier runs left behind (--keep, or a killed run): only namespaces labelled with a kbench run",
  builder: (y: Argv) =>
    y
      .option('run', { type: 'string', describe: 'Remove the leftovers of this run id' })
      .option('all-runs', { type: 'boolean', default: false, describe: 'Remove the leftovers of every kbench run' })
      .option('kubeconfig', { type: 'string', describe: 'kubeconfig file' })
      .option('context', { type: 'string', describe: 'kubeconfig context' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Only list what would be removed' }) as unknown as Argv<CleanupArgs>,
  handler,
};
