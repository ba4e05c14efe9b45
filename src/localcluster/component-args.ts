import type { ClusterLayout, ClusterPorts } from './layout.js';
import type { LocalSettings } from './settings.js';

/** A process of a local control plane: which binary, and the name its log goes under. */
export type ProcessName = 'etcd' | 'etcd-events' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** Service ClusterIPs, and the (fake) pod IPs kwok hands out: far apart, and room for 8M pods. */
export const SERVICE_CIDR = '10.96.0.0/12';
export const POD_CIDR = '10.128.0.0/9';
export const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** The annotation that makes a Node kwok's to manage (kwokctl's convention). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

const url = (port: number): string => `http://127.0.0.1:${port}`;

function etcdArgs(name: string, data: string, p: { client: number; peer: number; metrics: number }): string[] {
  return [
    `--name=${name}`,
    `--data-dir=${data}`,
    `--listen-client-urls=${url(p.client)}`,
    `--advertise-client-urls=${url(p.client)}`,
    `--listen-peer-urls=${url(p.peer)}`,
    `--initial-advertise-peer-urls=${url(p.peer)}`,
    `--initial-cluster=${name}=${url(p.peer)}`,
    '--initial-cluster-state=new',
    `--listen-metrics-urls=${url(p.metrics)}`,
    // The 2 GiB default fills up with a few hundred thousand pod revisions between compactions.
    '--quota-backend-bytes=8589934592',
    '--log-level=warn',
  ];
}

/** The delegated authentication/authorization and secure serving of scheduler and controller-manager. */
function secureServing(l: ClusterLayout, kubeconfig: string, port: number, cert: string, key: string): string[] {
  return [
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--client-ca-file=${l.ca}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${cert}`,
    `--tls-private-key-file=${key}`,
  ];
}

/**
 * Every process's command line, from the layout, ports and settings: a pure function, so
 * the flags a cluster runs with are easy to see and test. `extra` flags come last (a
 * repeated flag's last value wins in the real components' flag parsing).
 */
export function componentArgs(l: ClusterLayout, p: ClusterPorts, s: LocalSettings, extra: Partial<Record<ProcessName, string[]>> = {}): Partial<Record<ProcessName, string[]>> {
  const out: Partial<Record<ProcessName, string[]>> = {};
  out.etcd = etcdArgs('kbench', l.etcdData, p.etcd);
  if (p.eventsEtcd) out['etcd-events'] = etcdArgs('kbench-events', l.eventsEtcdData, p.eventsEtcd);
  out['kube-apiserver'] = [
    `--etcd-servers=${url(p.etcd.client)}`,
    ...(p.eventsEtcd ? [`--etcd-servers-overrides=/events#${url(p.eventsEtcd.client)}`] : []),
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The endpoint reconcilers refuse a loopback address; no pod needs the kubernetes Service (kwok's pods run nothing).
    '--endpoint-reconciler-type=none',
    `--secure-port=${p.apiserver}`,
    `--tls-cert-file=${l.apiserverCert}`,
    `--tls-private-key-file=${l.apiserverKey}`,
    `--client-ca-file=${l.ca}`,
    `--service-account-issuer=${SA_ISSUER}`,
    `--service-account-key-file=${l.saPub}`,
    `--service-account-signing-key-file=${l.saKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    `--cert-dir=${l.pkiDir}`,
    ...(s.flags['kube-apiserver'] ?? []),
  ];
  out['kube-controller-manager'] = [
    `--kubeconfig=${l.kubeconfigs.controllerManager}`,
    ...secureServing(l, l.kubeconfigs.controllerManager, p.controllerManager, l.controllerManagerCert, l.controllerManagerKey),
    `--root-ca-file=${l.ca}`,
    `--service-account-private-key-file=${l.saKey}`,
    // Each controller its own identity and client (and rate limiter), as kubeadm runs it.
    '--use-service-account-credentials=true',
    ...LEADER_ELECTION.flags,
    ...(s.flags['kube-controller-manager'] ?? []),
  ];
  out['kube-scheduler'] = [`--config=${l.schedulerConfig}`, ...secureServing(l, l.kubeconfigs.scheduler, p.scheduler, l.schedulerCert, l.schedulerKey)];
  out.kwok = [
    `--kubeconfig=${l.kubeconfigs.kwok}`,
    `--config=${l.kwokConfig}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    `--node-lease-duration-seconds=${s.nodeLeaseDurationS}`,
    `--cidr=${POD_CIDR}`,
    // At INFO kwok logs every lease renewal and status patch: 400 lines a second at 4,100 nodes.
    '--v=WARN',
  ];
  for (const [name, flags] of Object.entries(extra) as [ProcessName, string[]][]) if (out[name]) out[name] = [...out[name]!, ...flags];
  return out;
}

/**
 * One instance of each holds its Lease (kbench finds the scheduler by it), but on a shared
 * 2-core machine a renewal can miss the default 10 s deadline, and a component that loses
 * its lease exits (seen at 1,000 nodes under load): longer terms, the same Lease.
 */
const LEADER_ELECTION = {
  config: { leaseDuration: '60s', renewDeadline: '45s', retryPeriod: '5s' },
  flags: ['--leader-elect-lease-duration=60s', '--leader-elect-renew-deadline=45s', '--leader-elect-retry-period=5s'],
};

/** kube-scheduler's configuration file: the client's QPS and burst live here (the flags are deprecated). */
export function schedulerConfig(l: ClusterLayout, s: LocalSettings): Record<string, unknown> {
  return {
    apiVersion: 'kubescheduler.config.k8s.io/v1',
    kind: 'KubeSchedulerConfiguration',
    clientConnection: { kubeconfig: l.kubeconfigs.scheduler, qps: s.schedulerQps, burst: s.schedulerBurst },
    leaderElection: { leaderElect: true, ...LEADER_ELECTION.config },
  };
}
