import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceDef } from './resource-def.js';
import { errors } from './status.js';
import { isRecord, type KubeObject } from './types.js';

type Json = Record<string, unknown>;

/** What admission plugins may look up. */
export interface AdmissionContext {
  /** An object as storage has it now, or undefined. Read-only: it may be shared. */
  get(def: ResourceDef, namespace: string, name: string): Promise<Readonly<KubeObject> | undefined>;
  randomSuffix(n: number): string;
  /** A random integer in [0, n) from the sim's seeded source. */
  randomInt(n: number): number;
}

const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** The priority classes every cluster has (the apiserver creates them at start). */
const SYSTEM_PRIORITY: Readonly<Record<string, number>> = { 'system-node-critical': 2_000_001_000, 'system-cluster-critical': 2_000_000_000 };

function containersOf(spec: Json): Json[] {
  const out: Json[] = [];
  for (const field of ['initContainers', 'containers']) {
    const list = spec[field];
    if (Array.isArray(list)) for (const c of list) if (isRecord(c)) out.push(c);
  }
  return out;
}

/**
 * The ServiceAccount plugin's lookup: the default account is looked for up to 10 times,
 * 100-200 ms apart, since its controller creates it just after the namespace.
 */
async function findServiceAccount(ctx: AdmissionContext, serviceAccounts: ResourceDef, namespace: string, name: string): Promise<Readonly<KubeObject> | undefined> {
  const attempts = name === 'default' ? 10 : 1;
  const interval = 100 + ctx.randomInt(100);
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(interval);
    const account = await ctx.get(serviceAccounts, namespace, name);
    if (account) return account;
  }
  return undefined;
}

/** ServiceAccount admission: the default account, which must exist, and its token volume. */
async function admitServiceAccount(pod: KubeObject, spec: Json, ctx: AdmissionContext, serviceAccounts: ResourceDef): Promise<void> {
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
  const name = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : 'default';
  spec.serviceAccountName = name;
  // The deprecated alias is kept equal, as the API's defaulting does.
  spec.serviceAccount = name;
  const ns = pod.metadata.namespace ?? '';
  const account = await findServiceAccount(ctx, serviceAccounts, ns, name);
  if (!account) {
    throw errors.forbidden(
      { group: '', resource: 'pods' },
      pod.metadata.name ?? '',
      `error looking up service account ${ns}/${name}: serviceaccount "${name}" not found`,
    );
  }
  const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : account.automountServiceAccountToken !== false;
  if (!automount) return;
  const volumes = Array.isArray(spec.volumes) ? (spec.volumes as Json[]) : [];
  let volumeName = volumes.find((v) => isRecord(v) && typeof v.name === 'string' && v.name.startsWith('kube-api-access-'))?.name as string | undefined;
  const hasVolume = volumeName !== undefined;
  volumeName ??= `kube-api-access-${ctx.randomSuffix(5)}`;
  let mounted = false;
  for (const c of containersOf(spec)) {
    const mounts = Array.isArray(c.volumeMounts) ? (c.volumeMounts as Json[]) : [];
    // A container that mounts something at the token path keeps it.
    if (mounts.some((m) => isRecord(m) && m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
    mounted = true;
  }
  if (mounted && !hasVolume) {
    spec.volumes = [
      ...volumes,
      {
        name: volumeName,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      },
    ];
  }
}

/** DefaultTolerationSeconds: 300 s on not-ready and unreachable nodes unless the pod says. */
function admitDefaultTolerations(spec: Json): void {
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as unknown[]).filter(isRecord) : [];
  // An empty key matches every taint, an empty effect every effect.
  const has = (key: string): boolean => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!has(key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/**
 * Priority: the class's value, 0 without one. The sim serves no PriorityClass objects, so a
 * class other than the two system ones gets 0 instead of the real server's 403.
 */
function admitPriority(spec: Json): void {
  const cls = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  spec.priority = SYSTEM_PRIORITY[cls] ?? 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
}

/**
 * The default-on mutating admission plugins that change a pod on create
 * (kube-apiserver's ServiceAccount, DefaultTolerationSeconds, Priority), in their order.
 */
export async function admitPodCreate(pod: KubeObject, ctx: AdmissionContext, serviceAccounts: ResourceDef): Promise<void> {
  const spec: Json = isRecord(pod.spec) ? pod.spec : {};
  pod.spec = spec;
  await admitServiceAccount(pod, spec, ctx, serviceAccounts);
  admitDefaultTolerations(spec);
  admitPriority(spec);
}
