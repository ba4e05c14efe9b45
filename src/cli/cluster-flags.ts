import type { Argv } from 'yargs';
import { settingFlags } from '../localcluster/settings.js';
import { flagOf, SIM_SETTINGS } from '../spec/sim-settings.js';

/**
 * `kbench cluster build | up | down`: the flags and their shapes. Light on purpose, as
 * flags.ts: `kbench --help` loads it; the cluster's work (src/cli/cluster.ts) is imported
 * when a subcommand runs.
 */

export interface ClusterBuildArgs {
  go?: string;
  force: boolean;
}

export interface ClusterUpArgs {
  workload?: string;
  set: string[];
  'kubeconfig-out'?: string;
  'data-dir'?: string;
  name: string;
  'component-flag': string[];
  json: boolean;
  [flag: string]: unknown;
}

export interface ClusterDownArgs {
  name: string;
  all: boolean;
}

export function withClusterBuildFlags(y: Argv): Argv<ClusterBuildArgs> {
  return y
    .option('go', { type: 'string', describe: 'The go command to use (default: go on PATH)' })
    .option('force', { type: 'boolean', default: false, describe: 'Rebuild even when the cache has this version' }) as unknown as Argv<ClusterBuildArgs>;
}

/** `cluster up`'s own flags, and one per `sim:` setting with a real counterpart (the key in kebab-case). */
export function withClusterUpFlags(y: Argv): Argv<ClusterUpArgs> {
  let out = y
    .option('workload', { type: 'string', describe: "Take the cluster's settings from this workload's sim: block (flags override it)" })
    .option('set', { type: 'string', array: true, default: [], describe: 'With --workload: override a field, --set sim.nodes=50' })
    .option('kubeconfig-out', { type: 'string', describe: 'Where to write the admin kubeconfig (default: in the data dir); its endpoints go beside it, <file>.endpoints.json' })
    .option('data-dir', { type: 'string', describe: 'Keep etcd data, certificates and logs here (default: a temp dir removed at exit)' })
    .option('name', { type: 'string', default: 'local', describe: 'Name of this cluster, for `kbench cluster down --name`' })
    .option('component-flag', { type: 'string', array: true, default: [], describe: 'Add a flag to a component: kube-apiserver=--v=2 (repeatable)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line with the endpoints when ready' });
  for (const f of settingFlags()) {
    const d = SIM_SETTINGS[f.key];
    const def = f.simDefault && 'default' in d ? ` [default: ${String(d.default)}]` : '';
    // Values are read by the sim-settings table's reader, so `--nodes lots` is an error, not NaN.
    out = out.option(flagOf(f.key), { type: (d.schema as { type?: string }).type === 'boolean' ? 'boolean' : 'string', describe: `${f.real}${def}` });
  }
  return out as unknown as Argv<ClusterUpArgs>;
}

export function withClusterDownFlags(y: Argv): Argv<ClusterDownArgs> {
  return y
    .option('name', { type: 'string', default: 'local', describe: 'Which cluster (cluster up --name)' })
    .option('all', { type: 'boolean', default: false, describe: 'Every local cluster kbench recorded, including ones `run --local-cluster` started' }) as unknown as Argv<ClusterDownArgs>;
}
