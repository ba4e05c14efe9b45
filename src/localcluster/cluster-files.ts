import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { ADMIN_GROUP, KWOK_USER } from './bootstrap-access.js';
import { schedulerConfig } from './component-args.js';
import { certKubeconfig } from './kubeconfig.js';
import { kwokConfig } from './kwok-stages.js';
import type { ClusterLayout } from './layout.js';
import { ClusterCa, serviceAccountKeys } from './pki.js';
import type { LocalSettings } from './settings.js';

/**
 * Client identities, as kubeadm makes them: super-admin (system:masters: bypasses RBAC and
 * APF; kbench uses it only to bootstrap), the admin users get (bound to cluster-admin, so
 * its requests meet API Priority and Fairness like any user's), the two controllers, and
 * kwok (bound to cluster-admin; system:nodes puts it where kubelets' traffic goes).
 */
const USERS = {
  superAdmin: { user: 'kbench-super-admin', groups: ['system:masters'] },
  admin: { user: 'kbench-admin', groups: [ADMIN_GROUP] },
  scheduler: { user: 'system:kube-scheduler' },
  controllerManager: { user: 'system:kube-controller-manager' },
  kwok: { user: KWOK_USER, groups: ['system:nodes'] },
} as const;

const LOOPBACK = { dnsNames: ['localhost'], ips: ['127.0.0.1'] };

async function put(file: string, text: string, secret = false): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, text, { mode: secret ? 0o600 : 0o644 });
}

export interface ClusterCredentials {
  caPem: string;
  /** system:masters, for the readiness probe and bootstrap only. */
  superAdmin: { certPem: string; keyPem: string };
}

/**
 * The cluster's PKI, as kubeadm's `init phase certs` makes it: a CA, the apiserver's
 * serving certificate (loopback and the in-cluster names), the scheduler's and
 * controller-manager's serving certificates, the service-account key pair, and a client
 * certificate per identity inside its kubeconfig. A kept --data-dir keeps its PKI.
 */
export async function writePki(l: ClusterLayout, apiserverUrl: string): Promise<ClusterCredentials> {
  const sa = clientFiles(l, 'superAdmin');
  const superAdmin = async (): Promise<ClusterCredentials['superAdmin']> => ({ certPem: await readFile(sa.cert, 'utf8'), keyPem: await readFile(sa.key, 'utf8') });
  if (existsSync(l.ca) && existsSync(sa.key) && existsSync(l.saKey)) {
    const caPem = await readFile(l.ca, 'utf8');
    // The servers' certificates name 127.0.0.1, not a port: only the kubeconfigs change.
    await writeKubeconfigsFromDisk(l, apiserverUrl, caPem);
    return { caPem, superAdmin: await superAdmin() };
  }
  const ca = await ClusterCa.create('kbench-local-ca');
  await put(l.ca, ca.certPem);
  await put(l.caKey, await ca.keyPem(), true);
  const saKeys = await serviceAccountKeys();
  await put(l.saKey, saKeys.privatePem, true);
  await put(l.saPub, saKeys.publicPem);
  const apiserver = await ca.issue({
    kind: 'server',
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: ['127.0.0.1', '10.96.0.1'],
  });
  await put(l.apiserverCert, apiserver.certPem);
  await put(l.apiserverKey, apiserver.keyPem, true);
  const sched = await ca.issue({ kind: 'server', commonName: 'kube-scheduler', ...LOOPBACK });
  await put(l.schedulerCert, sched.certPem);
  await put(l.schedulerKey, sched.keyPem, true);
  const kcm = await ca.issue({ kind: 'server', commonName: 'kube-controller-manager', ...LOOPBACK });
  await put(l.controllerManagerCert, kcm.certPem);
  await put(l.controllerManagerKey, kcm.keyPem, true);
  for (const [who, id] of Object.entries(USERS) as [keyof typeof USERS, (typeof USERS)[keyof typeof USERS]][]) {
    const c = await ca.issue({ kind: 'client', user: id.user, groups: 'groups' in id ? [...id.groups] : [] });
    const f = clientFiles(l, who);
    await put(f.cert, c.certPem);
    await put(f.key, c.keyPem, true);
  }
  await writeKubeconfigsFromDisk(l, apiserverUrl, ca.certPem);
  return { caPem: ca.certPem, superAdmin: await superAdmin() };
}

function clientFiles(l: ClusterLayout, who: keyof typeof USERS): { cert: string; key: string } {
  const base = { superAdmin: 'super-admin', admin: 'admin', scheduler: 'kube-scheduler-client', controllerManager: 'kube-controller-manager-client', kwok: 'kwok' }[who];
  return { cert: path.join(l.pkiDir, `${base}.crt`), key: path.join(l.pkiDir, `${base}.key`) };
}

async function writeKubeconfigsFromDisk(l: ClusterLayout, server: string, caPem: string): Promise<void> {
  for (const who of Object.keys(USERS) as (keyof typeof USERS)[]) {
    const f = clientFiles(l, who);
    const text = certKubeconfig({ server, caPem, certPem: await readFile(f.cert, 'utf8'), keyPem: await readFile(f.key, 'utf8'), user: USERS[who].user });
    await put(l.kubeconfigs[who], text, true);
  }
}

/** kube-scheduler's configuration file and kwok's stages. */
export async function writeComponentConfigs(l: ClusterLayout, s: LocalSettings, stagesDir: string): Promise<void> {
  await put(l.schedulerConfig, stringify(schedulerConfig(l, s)));
  await put(l.kwokConfig, await kwokConfig(stagesDir, s));
}
