import type { CaseFile } from '../case-types.js';
import { APPS, CORE, cm, deploy, heldPod, rs } from './objects.js';

/** What defaulting and the default admission plugins add to what a client sends. */
export const defaults: CaseFile = {
  namespace: 'fid-defaults',
  cases: [
    { id: 'default/pod-minimal', method: 'POST', path: `${CORE}/pods`, body: heldPod('minimal') },
    { id: 'default/pod-limits-only', method: 'POST', path: `${CORE}/pods`, body: heldPod('limits', { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { limits: { cpu: '100m', memory: '64Mi' } } }] }) },
    { id: 'default/pod-requests-only', method: 'POST', path: `${CORE}/pods`, body: heldPod('requests', { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m' } } }] }) },
    { id: 'default/pod-ports', method: 'POST', path: `${CORE}/pods`, body: heldPod('ports', { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', ports: [{ containerPort: 80 }] }] }) },
    { id: 'default/pod-untagged-image', method: 'POST', path: `${CORE}/pods`, body: heldPod('untagged', { containers: [{ name: 'c', image: 'busybox' }] }) },
    { id: 'default/pod-latest-image', method: 'POST', path: `${CORE}/pods`, body: heldPod('latest', { containers: [{ name: 'c', image: 'busybox:latest' }] }) },
    { id: 'default/pod-no-automount', method: 'POST', path: `${CORE}/pods`, body: heldPod('noautomount', { automountServiceAccountToken: false }) },
    { id: 'default/pod-priority-class', method: 'POST', path: `${CORE}/pods`, body: heldPod('prio', { priorityClassName: 'system-cluster-critical' }) },
    { id: 'default/pod-own-tolerations', method: 'POST', path: `${CORE}/pods`, body: heldPod('tol', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] }) },
    { id: 'default/pod-init-container', method: 'POST', path: `${CORE}/pods`, body: heldPod('init', { initContainers: [{ name: 'i', image: 'registry.k8s.io/pause:3.9' }] }) },
    { id: 'default/pod-generate-name', method: 'POST', path: `${CORE}/pods`, body: { ...heldPod(''), metadata: { generateName: 'gen-' } } },
    { id: 'default/deployment', method: 'POST', path: `${APPS}/deployments`, body: deploy('d', 0) },
    { id: 'default/deployment-no-replicas', method: 'POST', path: `${APPS}/deployments`, body: { ...deploy('dnr', 0), spec: { ...(deploy('dnr', 0) as { spec: Record<string, unknown> }).spec, replicas: undefined } }, compare: { fields: ['spec.replicas'] } },
    { id: 'default/replicaset', method: 'POST', path: `${APPS}/replicasets`, body: rs('r', 0) },
    { id: 'default/configmap', method: 'POST', path: `${CORE}/configmaps`, body: cm('c') },
    { id: 'default/secret', method: 'POST', path: `${CORE}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } } },
    { id: 'default/serviceaccount', method: 'POST', path: `${CORE}/serviceaccounts`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } } },
    { id: 'default/service', method: 'POST', path: `${CORE}/services`, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } } },
    { id: 'default/namespace', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fid-defaults-ns' } } },
    { id: 'default/lease', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/{ns}/leases', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } } },
    { id: 'default/event-core', method: 'POST', path: `${CORE}/events`, body: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'fid-defaults' }, reason: 'R', message: 'm', type: 'Normal', source: { component: 'fid' } } },
    { id: 'default/event-events-v1', method: 'POST', path: '/apis/events.k8s.io/v1/namespaces/{ns}/events', body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e2' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'fid', reportingInstance: 'fid-1', action: 'Test', reason: 'R', note: 'n', type: 'Normal', regarding: { kind: 'Pod', name: 'x', namespace: 'fid-defaults' } } },
    {
      id: 'default/event-core-read-as-events-v1',
      steps: [
        { method: 'POST', path: `${CORE}/events`, body: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e3' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'fid-defaults' }, reason: 'R', message: 'm', type: 'Normal', source: { component: 'fid' }, count: 2 }, compare: 'none' },
        { method: 'GET', path: '/apis/events.k8s.io/v1/namespaces/{ns}/events/e3' },
      ],
    },
    { id: 'default/get-default-serviceaccount', method: 'GET', path: `${CORE}/serviceaccounts/default` },
    { id: 'default/get-root-ca-configmap', method: 'GET', path: `${CORE}/configmaps/kube-root-ca.crt`, compare: { fields: ['metadata.name', 'metadata.annotations'] } },
  ],
};
