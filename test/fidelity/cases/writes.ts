import type { CaseFile } from '../case-types.js';
import { APPS, CORE, cm, deploy, heldPod } from './objects.js';

/** Create, update and the four patch types, and clients' read-modify-write with keys re-ordered. */
export const writes: CaseFile = {
  namespace: 'fid-writes',
  cases: [
    { id: 'write/create-configmap', method: 'POST', path: `${CORE}/configmaps`, body: cm('c1', { app: 'x' }) },
    { id: 'write/create-configmap-generate-name', method: 'POST', path: `${CORE}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' }, data: { a: '1' } } },
    { id: 'write/create-secret', method: 'POST', path: `${CORE}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, stringData: { k: 'v' } } },
    { id: 'write/get-after-create', steps: [{ method: 'POST', path: `${CORE}/configmaps`, body: cm('c2'), compare: 'none' }, { method: 'GET', path: `${CORE}/configmaps/c2` }] },
    ...(
      [
        ['merge-add-label', 'merge', { metadata: { labels: { b: '2' } } }],
        ['merge-remove-label', 'merge', { metadata: { labels: { app: null } } }],
        ['merge-replace-data', 'merge', { data: { a: '9', z: 'new' } }],
        ['merge-null-data', 'merge', { data: null }],
        ['strategic-data', 'strategic', { data: { b: '2' } }],
        ['strategic-delete-key', 'strategic', { data: { a: null } }],
        ['jsonpatch-add', 'jsonpatch', [{ op: 'add', path: '/data/b', value: '2' }]],
        ['jsonpatch-replace', 'jsonpatch', [{ op: 'replace', path: '/data/a', value: '5' }]],
        ['jsonpatch-remove', 'jsonpatch', [{ op: 'remove', path: '/data/a' }]],
        ['jsonpatch-test-then-add', 'jsonpatch', [{ op: 'test', path: '/data/a', value: '1' }, { op: 'add', path: '/metadata/labels/t', value: 'y' }]],
        ['jsonpatch-copy-move', 'jsonpatch', [{ op: 'copy', from: '/data/a', path: '/data/b' }, { op: 'move', from: '/data/a', path: '/data/c' }]],
        ['merge-resource-version-match', 'merge', { metadata: { resourceVersion: '${c.metadata.resourceVersion}' }, data: { a: 'rv' } }],
        ['merge-resource-version-stale', 'merge', { metadata: { resourceVersion: '1' }, data: { a: 'rv' } }],
      ] as const
    ).map(([name, type, body]) => ({
      id: `write/patch-${name}`,
      steps: [
        { method: 'POST' as const, path: `${CORE}/configmaps`, body: cm(`p-${name}`, { app: 'x' }), compare: 'none' as const, save: 'c' },
        { method: 'PATCH' as const, path: `${CORE}/configmaps/p-${name}`, body, type },
      ],
    })),
    {
      id: 'write/apply-create',
      method: 'PATCH',
      path: `${CORE}/configmaps/applied?fieldManager=fid`,
      body: cm('applied', { app: 'x' }),
      type: 'apply',
    },
    {
      id: 'write/apply-change',
      steps: [
        { method: 'PATCH', path: `${CORE}/configmaps/apply2?fieldManager=fid`, body: cm('apply2', {}, { a: '1', b: '2' }), type: 'apply', compare: 'none' },
        { method: 'PATCH', path: `${CORE}/configmaps/apply2?fieldManager=fid`, body: cm('apply2', {}, { a: '5', b: '2' }), type: 'apply' },
      ],
    },
    {
      id: 'write/apply-drops-unowned-field',
      what: 'a field the manager applied before and leaves out now is removed',
      steps: [
        { method: 'PATCH', path: `${CORE}/configmaps/apply3?fieldManager=fid`, body: cm('apply3', {}, { a: '1', b: '2' }), type: 'apply', compare: 'none' },
        { method: 'PATCH', path: `${CORE}/configmaps/apply3?fieldManager=fid`, body: cm('apply3', {}, { a: '1' }), type: 'apply' },
      ],
    },
    {
      id: 'write/apply-conflict',
      what: 'another manager owns the field: 409 without force',
      steps: [
        { method: 'PATCH', path: `${CORE}/configmaps/apply4?fieldManager=one`, body: cm('apply4'), type: 'apply', compare: 'none' },
        { method: 'PATCH', path: `${CORE}/configmaps/apply4?fieldManager=two`, body: cm('apply4', {}, { a: '2' }), type: 'apply', compare: 'reason' },
      ],
    },
    {
      id: 'write/apply-force',
      steps: [
        { method: 'PATCH', path: `${CORE}/configmaps/apply5?fieldManager=one`, body: cm('apply5'), type: 'apply', compare: 'none' },
        { method: 'PATCH', path: `${CORE}/configmaps/apply5?fieldManager=two&force=true`, body: cm('apply5', {}, { a: '2' }), type: 'apply' },
      ],
    },
    {
      id: 'write/update-configmap-unconditional',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('u1'), compare: 'none' },
        { method: 'PUT', path: `${CORE}/configmaps/u1`, body: cm('u1', {}, { a: 'put' }) },
      ],
    },
    {
      id: 'write/update-configmap-with-rv',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('u2'), compare: 'none', save: 'c' },
        { method: 'PUT', path: `${CORE}/configmaps/u2`, from: 'c', set: { 'data.a': 'x' }, reorder: true },
      ],
    },
    {
      id: 'write/update-same-object-is-noop',
      what: 'an update that changes nothing keeps the resourceVersion',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('u3'), compare: 'none', save: 'c' },
        { method: 'PUT', path: `${CORE}/configmaps/u3`, from: 'c', reorder: true, save: 'd' },
        { method: 'GET', path: `${CORE}/configmaps/u3?resourceVersion=\${d.metadata.resourceVersion}`, compare: { fields: ['metadata.name'] } },
      ],
    },
    ...(
      [
        ['active-deadline', { 'spec.activeDeadlineSeconds': 600 }, true],
        ['active-deadline-plain', { 'spec.activeDeadlineSeconds': 600 }, false],
        ['image', { 'spec.containers.0.image': 'registry.k8s.io/pause:3.10' }, true],
        ['replace-containers', { 'spec.containers': [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] }, true],
        ['replace-tolerations', { 'spec.tolerations': [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] }, true],
        ['add-toleration', { 'spec.tolerations.3': { key: 'k', operator: 'Exists', effect: 'NoSchedule' } }, true],
        ['toleration-seconds', { 'spec.tolerations.1.tolerationSeconds': 60 }, true],
        ['remove-gate', { 'spec.schedulingGates': null }, true],
        ['labels', { 'metadata.labels': { l: 'v' } }, true],
        ['restart-policy', { 'spec.restartPolicy': 'Never' }, true],
        ['add-gate', { 'spec.schedulingGates': [{ name: 'kbench.io/hold' }, { name: 'kbench.io/other' }] }, true],
        ['grace-period', { 'spec.terminationGracePeriodSeconds': 5 }, true],
      ] as const
    ).map(([name, set, reorder]) => ({
      id: `write/pod-rmw-${name}`,
      what: 'GET, change, PUT the whole pod back (what a Go client does)',
      steps: [
        { method: 'POST' as const, path: `${CORE}/pods`, body: heldPod(`rmw-${name}`, { tolerations: [{ key: 'k0', operator: 'Exists' }] }), compare: 'none' as const },
        { method: 'GET' as const, path: `${CORE}/pods/rmw-${name}`, compare: 'none' as const, save: 'p' },
        { method: 'PUT' as const, path: `${CORE}/pods/rmw-${name}`, from: 'p', set, reorder, compare: ['remove-gate', 'labels', 'active-deadline', 'active-deadline-plain', 'image', 'add-toleration', 'toleration-seconds'].includes(name) ? ('all' as const) : ('reason' as const) },
      ],
    })),
    {
      id: 'write/pod-patch-active-deadline',
      steps: [
        { method: 'POST', path: `${CORE}/pods`, body: heldPod('pad'), compare: 'none' },
        { method: 'PATCH', path: `${CORE}/pods/pad`, body: { spec: { activeDeadlineSeconds: 300 } }, type: 'strategic' },
      ],
    },
    {
      id: 'write/deployment-rmw-reordered-keeps-generation',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('gen', 0), compare: 'none' },
        // Once the controller has synced it (annotated it with its revision): then nothing changes.
        { method: 'GET', path: `${APPS}/deployments/gen`, until: { field: 'status.observedGeneration', equals: 1 }, compare: 'none', save: 'd' },
        { method: 'PUT', path: `${APPS}/deployments/gen`, from: 'd', set: { 'metadata.resourceVersion': null }, reorder: true, compare: { fields: ['metadata.generation', 'metadata.annotations', 'spec'] } },
        { method: 'PUT', path: `${APPS}/deployments/gen`, from: 'd', set: { 'metadata.resourceVersion': null, 'metadata.annotations': { note: 'x' } }, compare: { fields: ['metadata.generation', 'metadata.annotations'] } },
      ],
    },
    {
      id: 'write/deployment-strategic-containers-by-name',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('smp', 0), compare: 'none' },
        { method: 'PATCH', path: `${APPS}/deployments/smp`, body: { spec: { template: { spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } } }, type: 'strategic', compare: { fields: ['metadata.generation', 'spec.template.spec.containers'] } },
      ],
    },
    {
      id: 'write/deployment-merge-replaces-containers',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('mp', 0), compare: 'none' },
        { method: 'PATCH', path: `${APPS}/deployments/mp`, body: { spec: { template: { spec: { containers: [{ name: 'd', image: 'registry.k8s.io/pause:3.10' }] } } } }, type: 'merge', compare: { fields: ['metadata.generation', 'spec.template.spec.containers'] } },
      ],
    },
    {
      id: 'write/deployment-scale-subresource',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('scl', 0), compare: 'none' },
        { method: 'GET', path: `${APPS}/deployments/scl/scale` },
        { method: 'PATCH', path: `${APPS}/deployments/scl/scale`, body: { spec: { replicas: 0 } } },
      ],
    },
    {
      id: 'write/deployment-status-put-ignores-spec',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('st', 0), compare: 'none', save: 'd' },
        { method: 'PUT', path: `${APPS}/deployments/st/status`, from: 'd', set: { 'metadata.resourceVersion': null, 'spec.replicas': 4, 'status.observedGeneration': 7 }, compare: { fields: ['spec.replicas', 'status.observedGeneration'] } },
      ],
    },
    {
      id: 'write/pod-status-patch',
      steps: [
        { method: 'POST', path: `${CORE}/pods`, body: heldPod('stp'), compare: 'none' },
        { method: 'PATCH', path: `${CORE}/pods/stp/status`, body: { status: { message: 'hello' } }, type: 'strategic', compare: { fields: ['status.message', 'status.phase'] } },
      ],
    },
  ],
};
