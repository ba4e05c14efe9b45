import type { Argv, CommandModule } from 'yargs';
import { startSim, type SimOptions, SimStartError } from '../sim/index.js';
import { EtcdStartError } from '../sim/storage/etcd-process.js';
import { parseDuration } from '../util/duration.js';
import { RunError, UsageError } from './errors.js';

function builder(y: Argv): Argv<SimArgs> {
  return y
    .option('port', { type: 'number', default: 0, describe: 'HTTPS port (0 picks a free one)' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to bind' })
    .option('storage', {
      choices: ['auto', 'etcd', 'memory'] as const,
      default: 'auto' as const,
      describe: 'etcd (spawns the etcd binary), memory (in-process), auto (etcd when found)',
    })
    .option('etcd-binary', { type: 'string', describe: 'Path of the etcd binary (default: etcd on PATH)' })
    .option('kubeconfig-out', { type: 'string', describe: 'Where to write the kubeconfig (default: in the data dir)' })
    .option('data-dir', { type: 'string', describe: 'Keep etcd data and the kubeconfig here (default: a temp dir removed at exit)' })
    .option('max-requests-inflight', {
      type: 'number',
      default: 400,
      describe: 'kube-apiserver --max-requests-inflight: concurrent reads before 429',
    })
    .option('max-mutating-requests-inflight', {
      type: 'number',
      default: 200,
      describe: 'kube-apiserver --max-mutating-requests-inflight: concurrent writes before 429',
    })
    .option('watch-history-window', {
      type: 'string',
      default: '75s',
      describe: 'How long the watch cache keeps events for resuming watches (older resourceVersions get 410 Gone)',
    })
    .option('min-request-timeout', {
      type: 'number',
      default: 1800,
      describe: 'kube-apiserver --min-request-timeout: watches without timeoutSeconds end after [t, 2t] seconds',
    })
    .option('bookmark-interval', { type: 'string', default: '60s', describe: 'Interval of watch BOOKMARK events' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line with the endpoints when ready' }) as unknown as Argv<SimArgs>;
}

interface SimArgs {
  port: number;
  host: string;
  storage: 'auto' | 'etcd' | 'memory';
  'etcd-binary'?: string;
  'kubeconfig-out'?: string;
  'data-dir'?: string;
  'max-requests-inflight': number;
  'max-mutating-requests-inflight': number;
  'watch-history-window': string;
  'bookmark-interval': string;
  'min-request-timeout': number;
  json: boolean;
}

function duration(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
}

export function simOptionsFromArgs(args: SimArgs, log: (line: string) => void): SimOptions {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new UsageError(`--port must be an integer between 0 and 65535 (got ${args.port})`);
  }
  return {
    port: args.port,
    host: args.host,
    storage: args.storage,
    etcdBinary: args['etcd-binary'],
    kubeconfigOut: args['kubeconfig-out'],
    dataDir: args['data-dir'],
    maxRequestsInflight: args['max-requests-inflight'],
    maxMutatingRequestsInflight: args['max-mutating-requests-inflight'],
    watchHistoryWindowMs: duration('watch-history-window', args['watch-history-window']),
    bookmarkIntervalMs: duration('bookmark-interval', args['bookmark-interval']),
    minRequestTimeoutSeconds: args['min-request-timeout'],
    log,
  };
}

async function handler(args: SimArgs): Promise<void> {
  const log = (line: string): void => console.error(`kbench sim: ${line}`);
  const options = simOptionsFromArgs(args, log);
  let sim;
  try {
    sim = await startSim(options);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof SimStartError || e instanceof EtcdStartError) {
      // A missing or unusable binary and an occupied port are things the user fixes.
      if (/no `etcd` binary|not executable|refusing to overwrite|EADDRINUSE|EACCES/.test(msg)) throw new UsageError(msg);
    }
    throw new RunError(`kbench sim could not start: ${msg}`);
  }
  if (args.json) {
    console.log(JSON.stringify({ url: sim.url, kubeconfig: sim.kubeconfigPath, discovery: sim.discoveryPath, storage: sim.storage }));
  } else {
    console.log(`API server:  ${sim.url} (storage: ${sim.storage})`);
    if (sim.endpoints.etcdMetrics) console.log(`etcd metrics: ${sim.endpoints.etcdMetrics}`);
    console.log(`kubeconfig:  ${sim.kubeconfigPath}`);
    console.log(`endpoints:   ${sim.discoveryPath}`);
    console.log(`\n  export KUBECONFIG=${sim.kubeconfigPath}\n  kubectl get namespaces\n\nCtrl-C stops the sim and removes what it started.`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log(`${signal}: stopping`);
      void sim.stop().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export const simCommand: CommandModule<object, SimArgs> = {
  command: 'sim',
  describe: 'Run the embedded simulated control plane (API server, storage, controllers) until interrupted',
  builder,
  handler,
};
