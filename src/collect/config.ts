import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeClient } from '../cluster/kube-client.js';
import type { Connection } from '../cluster/target.js';
import type { CollectSpec, SourceSpec } from '../spec/schema.js';
import { parseDuration } from '../util/duration.js';
import { DEFAULT_PROMETHEUS_QUERIES, PrometheusClient } from './prometheus.js';
import type { MissingComponents } from './readings.js';
import { apiserverSource, type ClientRef, type Component, podProxySource, readCredential, type ScrapeSource, SourceError, urlSource } from './sources.js';

export const COMPONENTS: readonly Component[] = ['apiserver', 'scheduler', 'etcd', 'controller-manager'];

/** Collection settings given on the command line; they add to the workload's `collect:`. */
export interface CollectFlags {
  /** `component=URL`, e.g. `etcd=https://10.0.0.1:2379/metrics`. */
  metricsUrl: string[];
  metricsCaFile?: string;
  metricsCertFile?: string;
  metricsKeyFile?: string;
  metricsTokenFile?: string;
  metricsInsecure?: boolean;
  prometheus?: string;
  collectInterval?: string;
}

/**
 * Endpoints from the discovery file beside a kubeconfig: the sim's (`<kubeconfig>.sim.json`)
 * or a local control plane's (`<kubeconfig>.endpoints.json`, `kind: local-cluster`).
 */
export interface SimEndpoints {
  kind?: string;
  scheduler?: string;
  controllerManager?: string;
  etcdMetrics?: string;
  eventsEtcdMetrics?: string;
  storage?: string;
  /** CA of the scheduler's and controller-manager's serving certificates (default: the kubeconfig's). */
  caFile?: string;
  /** A token allowed GET /metrics on their secure ports (default: the kubeconfig's own token). */
  metricsTokenFile?: string;
}

export interface PrometheusConfig {
  name: string;
  client: PrometheusClient;
  queries: Record<string, string>;
  rateWindowMs: number;
}

export interface CollectConfig {
  intervalMs: number;
  sources: ScrapeSource[];
  prometheus: PrometheusConfig[];
  /** Why a component with no source has no readings. */
  missing: MissingComponents;
}

/** A bad `collect:` block or collection flag: exit 2, nothing sent to the cluster. */
export class CollectConfigError extends Error {}

function tokenReader(file: string, what: string): () => string {
  readCredential(file, what);
  // Read at every scrape: projected service-account tokens are rotated on disk.
  return () => readFileSync(file, 'utf8').trim();
}

function credentials(s: { caFile?: string; certFile?: string; keyFile?: string; tokenFile?: string; insecureSkipVerify?: boolean }, base: string, where: string) {
  const file = (f: string): string => path.resolve(base, f);
  const ca = s.caFile ? readCredential(file(s.caFile), `${where}: caFile`) : undefined;
  const cert = s.certFile ? readCredential(file(s.certFile), `${where}: certFile`) : undefined;
  const key = s.keyFile ? readCredential(file(s.keyFile), `${where}: keyFile`) : undefined;
  if (!!cert !== !!key) throw new SourceError(`${where}: a client certificate needs both certFile and keyFile`);
  const token = s.tokenFile ? tokenReader(file(s.tokenFile), `${where}: tokenFile`) : undefined;
  return { ca, cert, key, token, insecureSkipVerify: s.insecureSkipVerify ?? false };
}

function duration(value: string, what: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new SourceError(`${what} ${value}: ${(e as Error).message}`);
  }
}

function checkUrl(url: string | undefined, where: string): string {
  if (!url) throw new SourceError(`${where}: needs url`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SourceError(`${where}: url "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SourceError(`${where}: url "${url}" is not http or https`);
  return url;
}

/** A URL without user:password, for the summary. */
function publicUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function fromSpec(s: SourceSpec, client: ClientRef, base: string, where: string): ScrapeSource | PrometheusConfig {
  switch (s.type) {
    case 'apiserver':
      return apiserverSource(client, s.name);
    case 'url': {
      const url = checkUrl(s.url, where);
      if (!s.component) throw new SourceError(`${where}: a url source needs component (${COMPONENTS.join(', ')})`);
      const c = credentials(s, base, where);
      const source = urlSource({ name: s.name, component: s.component, url, ...c, token: c.token ? async () => c.token!() : undefined });
      return { ...source, where: publicUrl(url) };
    }
    case 'pod-proxy': {
      if (!s.component) throw new SourceError(`${where}: a pod-proxy source needs component (${COMPONENTS.join(', ')})`);
      if (!s.port) throw new SourceError(`${where}: a pod-proxy source needs port (10259 for kube-scheduler, 2381 for kubeadm's etcd)`);
      if (!s.pod && !s.lease) throw new SourceError(`${where}: a pod-proxy source needs pod, or lease to find the pod from (kube-scheduler)`);
      return podProxySource(client, {
        name: s.name,
        component: s.component,
        namespace: s.namespace ?? 'kube-system',
        ...(s.pod ? { pod: s.pod } : {}),
        ...(s.lease ? { lease: s.lease } : {}),
        port: s.port,
        scheme: s.scheme ?? 'https',
      });
    }
    case 'prometheus': {
      const url = checkUrl(s.url, where);
      const c = credentials(s, base, where);
      if (c.cert) throw new SourceError(`${where}: client certificates are not supported for Prometheus; use tokenFile`);
      const rateWindowMs = s.rateWindow ? duration(s.rateWindow, `${where}: rateWindow`) : 60_000;
      return {
        name: s.name,
        client: new PrometheusClient(url, { ...(c.ca ? { ca: c.ca } : {}), ...(c.token ? { token: c.token } : {}), insecureSkipVerify: c.insecureSkipVerify }),
        queries: s.queries && Object.keys(s.queries).length > 0 ? s.queries : DEFAULT_PROMETHEUS_QUERIES,
        rateWindowMs,
      };
    }
  }
}

function isPrometheus(x: ScrapeSource | PrometheusConfig): x is PrometheusConfig {
  return 'queries' in x;
}

/** The sources as planned from the workload and flags, before the target is open. */
export interface CollectPlan {
  intervalMs: number;
  sources: ScrapeSource[];
  prometheus: PrometheusConfig[];
  /** Set once the target is open; the sources use it at scrape time. */
  bindClient(client: KubeClient): void;
}

/**
 * The sources the workload lists and the flags add, checked without touching the cluster:
 * URLs, durations, and credential files (read now, so a wrong path is bad input and the
 * command stops before it starts anything).
 */
export function planCollection(o: { spec: CollectSpec; baseDir: string; flags: CollectFlags }): CollectPlan {
  let bound: KubeClient | undefined;
  const client: ClientRef = () => {
    if (!bound) throw new Error('metrics source used before the target was open');
    return bound;
  };
  const sources: ScrapeSource[] = [];
  const prometheus: PrometheusConfig[] = [];
  const add = (x: ScrapeSource | PrometheusConfig, where: string): void => {
    if ([...sources, ...prometheus].some((s) => s.name === x.name)) throw new SourceError(`${where}: source name "${x.name}" is used twice`);
    if (isPrometheus(x)) prometheus.push(x);
    else sources.push(x);
  };
  let intervalMs = 5000;
  try {
    const interval = o.flags.collectInterval ?? o.spec.interval;
    if (interval !== undefined) {
      intervalMs = duration(interval, 'collect interval');
      if (intervalMs < 1000) throw new SourceError(`collect interval ${interval}: at least 1s`);
    }
    (o.spec.sources ?? []).forEach((s, i) => add(fromSpec(s, client, o.baseDir, `collect.sources[${i}] (${s.name})`), `collect.sources[${i}]`));
    const flagCreds = {
      caFile: o.flags.metricsCaFile,
      certFile: o.flags.metricsCertFile,
      keyFile: o.flags.metricsKeyFile,
      tokenFile: o.flags.metricsTokenFile,
      insecureSkipVerify: o.flags.metricsInsecure,
    };
    for (const arg of o.flags.metricsUrl) {
      const m = /^([a-z-]+)=(.+)$/.exec(arg);
      if (!m || !COMPONENTS.includes(m[1] as Component)) {
        throw new SourceError(`--metrics-url ${arg}: expected component=URL with component one of ${COMPONENTS.join(', ')}`);
      }
      const component = m[1] as Component;
      const taken = new Set([...sources, ...prometheus].map((s) => s.name));
      let name: string = component;
      for (let n = 2; taken.has(name); n++) name = `${component}-${n}`;
      add(fromSpec({ name, type: 'url', component, url: m[2]!, ...flagCreds }, client, process.cwd(), `--metrics-url ${arg}`), `--metrics-url ${arg}`);
    }
    if (o.flags.prometheus) {
      const spec: SourceSpec = { name: 'prometheus', type: 'prometheus', url: o.flags.prometheus, ...flagCreds, certFile: undefined, keyFile: undefined };
      add(fromSpec(spec, client, process.cwd(), `--prometheus ${o.flags.prometheus}`), '--prometheus');
    }
  } catch (e) {
    if (e instanceof SourceError) throw new CollectConfigError(e.message);
    throw e;
  }
  return {
    intervalMs,
    sources,
    prometheus,
    bindClient: (c) => {
      bound = c;
    },
  };
}

/**
 * The sources of a run, once the target is open: the planned ones; the apiserver through
 * the kubeconfig unless a source covers it; on the sim, its own scheduler and etcd for
 * whatever no source covers; on a cluster with nothing configured, the active scheduler
 * through the pod proxy.
 */
export function bindCollection(plan: CollectPlan, o: { client: KubeClient; connection: Connection; sim?: SimEndpoints }): CollectConfig {
  plan.bindClient(o.client);
  const client: ClientRef = () => o.client;
  const sources = [...plan.sources];
  const prometheus = plan.prometheus;
  const covered = (c: Component): boolean => sources.some((s) => s.component === c);
  if (!covered('apiserver')) sources.unshift(apiserverSource(client));
  const missing: MissingComponents = {};
  if (o.sim) {
    const sim = o.sim;
    const conn = o.connection;
    const ca = sim.caFile ? readCredential(sim.caFile, 'the discovery file: caFile') : conn.tls.ca;
    // A local control plane names a metrics token (a ServiceAccount's, as Prometheus would use);
    // the sim's scheduler takes the kubeconfig's own token.
    const token = sim.metricsTokenFile ? tokenReader(sim.metricsTokenFile, 'the discovery file: metricsTokenFile') : undefined;
    const secure = (name: string, component: Component, url: string): ScrapeSource =>
      urlSource({
        name,
        component,
        url,
        ...(ca ? { ca } : {}),
        token: async () => (token ? token() : (await conn.headers()).authorization?.replace(/^Bearer /, '')),
      });
    if (!covered('scheduler') && sim.scheduler) sources.push(secure('scheduler', 'scheduler', sim.scheduler));
    if (!covered('controller-manager') && sim.controllerManager) sources.push(secure('controller-manager', 'controller-manager', sim.controllerManager));
    if (!covered('etcd')) {
      if (sim.etcdMetrics) sources.push(urlSource({ name: 'etcd', component: 'etcd', url: sim.etcdMetrics }));
      if (sim.eventsEtcdMetrics) sources.push(urlSource({ name: 'etcd-events', component: 'etcd', url: sim.eventsEtcdMetrics }));
      if (!sim.etcdMetrics) missing.etcd = `storage is ${sim.storage ?? 'memory'}`;
    }
    if (!sim.controllerManager) missing['controller-manager'] = 'the sim has no separate controller-manager metrics';
  } else if (!covered('scheduler') && prometheus.length === 0) {
    // kubeadm and most distributions: the active scheduler, found from its leader Lease.
    sources.push(podProxySource(client, { name: 'scheduler', component: 'scheduler', namespace: 'kube-system', lease: 'kube-scheduler', port: 10259, scheme: 'https' }));
  }
  for (const c of COMPONENTS) {
    if (covered(c) || missing[c]) continue;
    const hint = c === 'etcd' ? ' (add one under collect.sources, or --metrics-url etcd=URL with --metrics-ca-file/--metrics-cert-file/--metrics-key-file)' : '';
    missing[c] = prometheus.length > 0 ? `no ${c} scrape source; see the Prometheus values` : `no ${c} metrics source configured${hint}`;
  }
  return { intervalMs: plan.intervalMs, sources, prometheus, missing };
}
