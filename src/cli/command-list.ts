/**
 * Each command's usage and one-line description, the one definition both yargs and the
 * top-level `kbench --help` read. The top-level help is printed from this table alone, so
 * it loads neither yargs nor any command (about 0.3 CPU-s less).
 */
export const COMMAND_LIST = {
  run: { command: 'run <workload>', describe: 'Run a workload against a cluster (or the embedded sim) and write a result set' },
  ab: { command: 'ab <workload>', describe: 'Run a workload with settings A and with settings B, interleaved (A B A B ...), on the sim or a local real control plane, and compare the runs' },
  validate: { command: 'validate <workload>', describe: 'Check a workload spec and its templates; print the resolved plan' },
  collect: { command: 'collect', describe: 'Measure only: watch a cluster someone else loads (pods, API, control-plane metrics) and write a result set' },
  compare: { command: 'compare <a> <b>', describe: 'Compare two result sets (A before, B after): every shared measurement with a verdict' },
  merge: { command: 'merge <dirs..>', describe: 'Merge the result sets of the shards of one run (kbench run --shard) into one result set' },
  job: { command: 'job [workload]', describe: 'Write (or --apply) a sharded run as a Kubernetes Indexed Job with its ServiceAccount and least RBAC; `kbench job results` fetches its results' },
  report: { command: 'report <dir>', describe: 'Write a self-contained HTML report of a result set (with --compare: overlaid on another)' },
  cleanup: { command: 'cleanup', describe: 'Remove what earlier runs left behind (--keep, a killed run, a failed cleanup): only namespaces labelled with a kbench run id' },
  sim: { command: 'sim', describe: 'Run the embedded simulated control plane (API server, storage, scheduler, controllers, nodes) until interrupted' },
  cluster: { command: 'cluster <command>', describe: 'A real control plane on this machine (kube-apiserver, kube-scheduler, kube-controller-manager, etcd, kwok fake nodes)' },
  history: { command: 'history <command>', describe: 'Run history in a database: add, list, show, trend, check (change points), ack' },
  schema: { command: 'schema', describe: 'Print the workload JSON Schema (for editors; workloads/schema.json is this)' },
} as const satisfies Record<string, { command: string; describe: string }>;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The text of `kbench --help`, laid out as yargs lays out a command list. */
export function topLevelHelp(columns: number): string {
  const width = Math.min(110, columns);
  const names = Object.values(COMMAND_LIST).map((c) => `  kbench ${c.command}`);
  const pad = Math.max(...names.map((n) => n.length)) + 2;
  const out = ['kbench <command>', '', 'Commands:'];
  Object.values(COMMAND_LIST).forEach((c, i) => {
    const [first = '', ...rest] = wrap(c.describe, Math.max(20, width - pad));
    out.push(names[i]!.padEnd(pad) + first, ...rest.map((l) => ' '.repeat(pad) + l));
  });
  out.push('', 'Options:', '  --help     Show help', '  --version  Show version number', '', 'Run `kbench <command> --help` for the flags of a command.');
  return out.join('\n');
}
