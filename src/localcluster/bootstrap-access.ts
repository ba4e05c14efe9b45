import type { KubeClient } from '../cluster/kube-client.js';

/** The identity kbench scrapes the scheduler and controller-manager with, as Prometheus would. */
export const METRICS_SA = { namespace: 'kube-system', name: 'kbench-metrics' };
const ROLE = 'kbench:metrics-reader';
/** A bound token outlives any run; the apiserver sets no maximum unless told to. */
const TOKEN_SECONDS = 7 * 24 * 3600;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ensure(client: KubeClient, path: string, body: Record<string, unknown>): Promise<void> {
  const res = await client.call('POST', path, { body });
  if (res.status !== 201 && res.status !== 409) throw new Error(`POST ${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
}

/** Groups bound to cluster-admin, as kubeadm binds kubeadm:cluster-admins (admin.conf is not system:masters since 1.29). */
export const ADMIN_GROUP = 'kbench:cluster-admins';
/** kwok acts for every fake kubelet: cluster-admin, in the system:nodes group so APF puts its traffic where kubelets' goes. */
export const KWOK_USER = 'kwok-controller';

function clusterAdminBinding(name: string, subject: Record<string, string>): Record<string, unknown> {
  return { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [subject] };
}

/**
 * What the super-admin sets up once the apiserver is ready: cluster-admin for the admin
 * group and for kwok, and a ServiceAccount allowed `get` on the non-resource URL /metrics
 * and nothing else, with a bound token (TokenRequest). kube-scheduler and
 * kube-controller-manager check that token on their secure ports with a TokenReview and a
 * SubjectAccessReview at the apiserver, exactly as they check a Prometheus server's.
 * Returns the metrics token.
 */
export async function bootstrapAccess(client: KubeClient, deadline: number): Promise<string> {
  const crbs = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
  await ensure(client, crbs, clusterAdminBinding(ADMIN_GROUP, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: ADMIN_GROUP }));
  await ensure(client, crbs, clusterAdminBinding('kbench:kwok', { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KWOK_USER }));
  // kube-system is created by the apiserver's own bootstrap controller, shortly after /readyz.
  for (;;) {
    const res = await client.call('GET', `/api/v1/namespaces/${METRICS_SA.namespace}`);
    if (res.status === 200) break;
    if (Date.now() > deadline) throw new Error(`namespace ${METRICS_SA.namespace} did not appear (last answer ${res.status})`);
    await sleep(250);
  }
  await ensure(client, `/api/v1/namespaces/${METRICS_SA.namespace}/serviceaccounts`, { metadata: { name: METRICS_SA.name } });
  await ensure(client, '/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: ROLE }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] });
  await ensure(client, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
    subjects: [{ kind: 'ServiceAccount', namespace: METRICS_SA.namespace, name: METRICS_SA.name }],
  });
  const tr = await client.json<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${METRICS_SA.namespace}/serviceaccounts/${METRICS_SA.name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error('TokenRequest for the metrics service account returned no token');
  return token;
}
