import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { startTestSim } from '../helpers/sim-fixture.js';
import { ClusterUp, Sandbox } from '../cluster/real-components.js';
import { ApiClient } from './api-client.js';
import type { Target } from './run-case.js';

/** The settings both targets run with (the same flags, as `kbench cluster up` and the sim name them). */
export const SHARED = { nodes: 3, nodeCpu: '4', nodeMemory: '16Gi', nodePods: 40, podStartupDelay: '800ms', podStartupJitter: '400ms' };

/** kube-apiserver's two inflight limits, which API Priority and Fairness shares among its priority levels. */
export interface Inflight {
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
}

interface KubeconfigUser {
  'client-certificate-data'?: string;
  'client-key-data'?: string;
  token?: string;
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: KubeconfigUser }[];
}

function nodeVars(name: (i: number) => string): Record<string, string> {
  return Object.fromEntries(Array.from({ length: SHARED.nodes }, (_, i) => [`node${i}`, name(i)]));
}

const b64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/** `kbench cluster up` in a sandbox, reached with its admin kubeconfig's client certificate. */
export async function startReal(box: Sandbox, limits?: Inflight): Promise<{ target: Target; up: ClusterUp }> {
  const kubeconfig = path.join(box.root, 'kubeconfig');
  const up = new ClusterUp(
    [
      '--kubeconfig-out', kubeconfig,
      '--nodes', String(SHARED.nodes),
      '--node-cpu', SHARED.nodeCpu,
      '--node-memory', SHARED.nodeMemory,
      '--node-pods', String(SHARED.nodePods),
      '--pod-startup-delay', SHARED.podStartupDelay,
      '--pod-startup-jitter', SHARED.podStartupJitter,
      ...(limits ? ['--max-requests-inflight', String(limits.maxRequestsInflight), '--max-mutating-requests-inflight', String(limits.maxMutatingRequestsInflight)] : []),
    ],
    box.env,
  );
  const ep = await up.ready;
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as Kubeconfig;
  const user = kc.users[0]!.user;
  const api = new ApiClient({
    url: kc.clusters[0]!.cluster.server,
    caPem: b64(kc.clusters[0]!.cluster['certificate-authority-data'])!,
    certPem: b64(user['client-certificate-data']),
    keyPem: b64(user['client-key-data']),
    token: user.token,
  });
  const token = readFileSync(String(ep.metricsTokenFile), 'utf8').trim();
  return { up, target: { name: 'real', api, metrics: { scheduler: { url: String(ep.scheduler), token }, etcd: { url: String(ep.etcdMetrics) } }, vars: nodeVars((i) => `kwok-node-${i}`) } };
}

/** The sim over real etcd, with the same settings. */
export async function startSimTarget(limits?: Inflight): Promise<{ target: Target; stop(): Promise<void> }> {
  const ms = (d: string): number => Number(d.replace(/ms$/, ''));
  const s = await startTestSim({
    storage: 'etcd',
    nodes: SHARED.nodes,
    nodeCpu: SHARED.nodeCpu,
    nodeMemory: SHARED.nodeMemory,
    nodePods: SHARED.nodePods,
    podStartupDelayMs: ms(SHARED.podStartupDelay),
    podStartupJitterMs: ms(SHARED.podStartupJitter),
    ...limits,
  });
  const api = new ApiClient({ url: s.sim.url, caPem: s.sim.caPem, token: s.sim.token });
  const target: Target = {
    name: 'sim',
    api,
    metrics: { scheduler: { url: s.sim.endpoints.scheduler, token: s.sim.token }, etcd: s.sim.endpoints.etcdMetrics ? { url: s.sim.endpoints.etcdMetrics } : undefined },
    vars: nodeVars((i) => `sim-node-${String(i).padStart(4, '0')}`),
  };
  return {
    target,
    stop: async () => {
      api.close();
      await s.stop();
    },
  };
}
