/** The manifests the cases send: small, and the same for both targets. */

const IMAGE = 'registry.k8s.io/pause:3.9';

export const ns = (name: string): object => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { a: '1' }): object => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

/** A pod no scheduler touches (a scheduling gate holds it): its answers do not race the scheduler. */
export const heldPod = (name: string, spec: object = {}, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { schedulingGates: [{ name: 'kbench.io/hold' }], containers: [{ name: 'c', image: IMAGE }], ...spec },
});

/** A pod the scheduler places on a fake node, which then runs it. */
export const pod = (name: string, spec: object = {}, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: IMAGE }], ...spec },
});

export const deploy = (name: string, replicas: number, extra: object = {}): object => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: IMAGE }] } },
    ...extra,
  },
});

export const rs = (name: string, replicas: number): object => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { rs: name } },
    template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: 'c', image: IMAGE }] } },
  },
});

export const CORE = '/api/v1/namespaces/{ns}';
export const APPS = '/apis/apps/v1/namespaces/{ns}';
