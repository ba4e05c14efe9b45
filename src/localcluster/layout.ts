import path from 'node:path';

/** Every file of a local control plane, under one folder (a temp dir, or --data-dir). */
export interface ClusterLayout {
  dir: string;
  pkiDir: string;
  logDir: string;
  ca: string;
  caKey: string;
  saKey: string;
  saPub: string;
  apiserverCert: string;
  apiserverKey: string;
  schedulerCert: string;
  schedulerKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  kubeconfigs: { superAdmin: string; admin: string; scheduler: string; controllerManager: string; kwok: string };
  schedulerConfig: string;
  kwokConfig: string;
  metricsToken: string;
  etcdData: string;
  eventsEtcdData: string;
}

export function clusterLayout(dir: string): ClusterLayout {
  const pki = path.join(dir, 'pki');
  const kc = path.join(dir, 'kubeconfigs');
  return {
    dir,
    pkiDir: pki,
    logDir: path.join(dir, 'logs'),
    ca: path.join(pki, 'ca.crt'),
    caKey: path.join(pki, 'ca.key'),
    saKey: path.join(pki, 'sa.key'),
    saPub: path.join(pki, 'sa.pub'),
    apiserverCert: path.join(pki, 'apiserver.crt'),
    apiserverKey: path.join(pki, 'apiserver.key'),
    schedulerCert: path.join(pki, 'kube-scheduler.crt'),
    schedulerKey: path.join(pki, 'kube-scheduler.key'),
    controllerManagerCert: path.join(pki, 'kube-controller-manager.crt'),
    controllerManagerKey: path.join(pki, 'kube-controller-manager.key'),
    kubeconfigs: {
      superAdmin: path.join(kc, 'super-admin.kubeconfig'),
      admin: path.join(kc, 'admin.kubeconfig'),
      scheduler: path.join(kc, 'kube-scheduler.kubeconfig'),
      controllerManager: path.join(kc, 'kube-controller-manager.kubeconfig'),
      kwok: path.join(kc, 'kwok.kubeconfig'),
    },
    schedulerConfig: path.join(dir, 'kube-scheduler-config.yaml'),
    kwokConfig: path.join(dir, 'kwok.yaml'),
    metricsToken: path.join(pki, 'metrics.token'),
    etcdData: path.join(dir, 'etcd'),
    eventsEtcdData: path.join(dir, 'etcd-events'),
  };
}

/** The loopback ports a local control plane listens on, chosen free at start. */
export interface ClusterPorts {
  etcd: { client: number; peer: number; metrics: number };
  eventsEtcd?: { client: number; peer: number; metrics: number };
  apiserver: number;
  scheduler: number;
  controllerManager: number;
}

export function allPorts(p: ClusterPorts): number[] {
  return [p.etcd.client, p.etcd.peer, p.etcd.metrics, ...(p.eventsEtcd ? [p.eventsEtcd.client, p.eventsEtcd.peer, p.eventsEtcd.metrics] : []), p.apiserver, p.scheduler, p.controllerManager];
}
