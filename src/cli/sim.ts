import { type SimOptions, startSim, SimStartError } from '../sim/index.js';
import { EtcdStartError } from '../sim/storage/etcd-process.js';
import { RunError, UsageError } from './errors.js';
import type { SimArgs } from './flags.js';
import { simOptionsFromFlags } from './sim-flags.js';

export async function simHandler(args: SimArgs): Promise<void> {
  const log = (line: string): void => console.error(`kbench sim: ${line}`);
  const options: SimOptions = { ...(simOptionsFromFlags(args) as SimOptions), log };
  if (args.lifeline) {
    // When kbench is gone, so are the readers of our stdout and stderr: the next line written
    // fails with EPIPE, and an unhandled stream error would end this process before it
    // removes what it started (etcd's data folder, 120 MiB and more).
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  }
  let sim;
  try {
    sim = await startSim(options);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof SimStartError || e instanceof EtcdStartError) {
      // A missing or unusable binary and an occupied port are things the user fixes.
      if ((e instanceof SimStartError && e.badInput) || /no `etcd` binary|not executable|refusing to overwrite|EADDRINUSE|EACCES/.test(msg)) throw new UsageError(msg);
    }
    throw new RunError(`kbench sim could not start: ${msg}`);
  }
  if (args.json) {
    console.log(JSON.stringify({ url: sim.url, kubeconfig: sim.kubeconfigPath, discovery: sim.discoveryPath, storage: sim.storage }));
  } else {
    console.log(`API server:   ${sim.url} (storage: ${sim.storage}, ${sim.endpoints.nodes} nodes)`);
    console.log(`scheduler:    ${sim.endpoints.scheduler}`);
    if (sim.endpoints.etcdMetrics) console.log(`etcd metrics: ${sim.endpoints.etcdMetrics}`);
    if (sim.endpoints.eventsEtcdMetrics) console.log(`events etcd:  ${sim.endpoints.eventsEtcdMetrics}`);
    console.log(`kubeconfig:   ${sim.kubeconfigPath}`);
    console.log(`endpoints:    ${sim.discoveryPath}`);
    console.log(`\n  export KUBECONFIG=${sim.kubeconfigPath}\n  kubectl get nodes\n\nCtrl-C stops the sim and removes what it started.`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log(`${signal}: stopping`);
      void sim.stop().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    if (args.lifeline) {
      // The process that started us is gone (its end of our stdin closed): nobody will stop us.
      process.stdin.on('end', () => stop('stdin closed (the kbench that started the sim is gone)'));
      process.stdin.on('error', () => stop('stdin closed (the kbench that started the sim is gone)'));
      process.stdin.resume();
    }
  });
  // Stopped: the lifeline must not keep the process alive.
  if (args.lifeline) process.stdin.destroy();
}

