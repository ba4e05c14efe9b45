import { bindCollection, type CollectConfig, CollectConfigError, type CollectFlags, type CollectPlan, planCollection, type SimEndpoints } from '../collect/config.js';
import { KubeClient } from '../cluster/kube-client.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { CollectArgs } from './flags.js';
import type { OpenedTarget } from './open-target.js';

/**
 * The sources from the workload's collect: block and the flags, checked before anything
 * touches a cluster: a bad source (missing credential file, malformed --metrics-url) is
 * bad input.
 */
export function planCollectors(args: CollectArgs, w: ResolvedWorkload): CollectPlan | undefined {
  if (args.collect === false) return undefined;
  const flags: CollectFlags = {
    metricsUrl: args.metricsUrl,
    ...(args.metricsCaFile ? { metricsCaFile: args.metricsCaFile } : {}),
    ...(args.metricsCertFile ? { metricsCertFile: args.metricsCertFile } : {}),
    ...(args.metricsKeyFile ? { metricsKeyFile: args.metricsKeyFile } : {}),
    ...(args.metricsTokenFile ? { metricsTokenFile: args.metricsTokenFile } : {}),
    metricsInsecure: args.metricsInsecure,
    ...(args.prometheus ? { prometheus: args.prometheus } : {}),
    ...(args.collectInterval ? { collectInterval: args.collectInterval } : {}),
  };
  try {
    return planCollection({ spec: w.collect, baseDir: path.dirname(w.file), flags });
  } catch (e) {
    if (e instanceof CollectConfigError) throw new UsageError(`metrics collection: ${e.message}`);
    throw e;
  }
}

/** The collection of a run on an open target: the plan, plus what the target itself offers (the sim's endpoints). */
export function bindCollectors(plan: CollectPlan | undefined, opened: OpenedTarget, info: (line: string) => void): { config?: CollectConfig; close(): Promise<void> } {
  if (!plan) return { close: async () => undefined };
  // Its own client: scrapes must not count in the run's API latency.
  const client = new KubeClient(opened.connection, { timeoutMs: 30_000 });
  const config = bindCollection(plan, { client, connection: opened.connection, ...(opened.simEndpoints ? { sim: opened.simEndpoints as SimEndpoints } : {}) });
  const names = config.sources.map((s) => `${s.name} (${s.where})`);
  info(`metrics: scraping ${names.join(', ')}${config.prometheus.length ? `; Prometheus ${config.prometheus.map((p) => p.client.url).join(', ')}` : ''}; every ${config.intervalMs / 1000} s`);
  for (const [c, reason] of Object.entries(config.missing)) if (c !== 'controller-manager') info(`metrics: ${c} unavailable: ${reason}`);
  return { config, close: () => client.close() };
}
