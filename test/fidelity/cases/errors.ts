import type { CaseFile } from '../case-types.js';
import { APPS, CORE, cm, deploy, heldPod } from './objects.js';

/** Status codes and Status reason/details/causes: 400, 404, 405, 409, 415, 422, 403, 504. */
export const errors: CaseFile = {
  namespace: 'fid-errors',
  cases: [
    { id: 'err/404-get-pod', method: 'GET', path: `${CORE}/pods/none`, compare: 'all' },
    { id: 'err/404-get-configmap', method: 'GET', path: `${CORE}/configmaps/none` },
    { id: 'err/404-get-deployment', method: 'GET', path: `${APPS}/deployments/none` },
    { id: 'err/404-get-namespace', method: 'GET', path: '/api/v1/namespaces/fid-none' },
    { id: 'err/404-get-node', method: 'GET', path: '/api/v1/nodes/none' },
    { id: 'err/404-delete-configmap', method: 'DELETE', path: `${CORE}/configmaps/none` },
    { id: 'err/404-patch-configmap', method: 'PATCH', path: `${CORE}/configmaps/none`, body: { data: { a: '2' } } },
    { id: 'err/404-put-configmap', method: 'PUT', path: `${CORE}/configmaps/none`, body: cm('none') },
    { id: 'err/404-put-pod', method: 'PUT', path: `${CORE}/pods/none`, body: heldPod('none') },
    { id: 'err/404-unknown-resource', method: 'GET', path: `${CORE}/widgets`, compare: 'code' },
    { id: 'err/404-unknown-group', method: 'GET', path: '/apis/nosuch.example.com/v1/things', compare: 'code' },
    { id: 'err/404-create-in-missing-namespace', method: 'POST', path: '/api/v1/namespaces/fid-none/configmaps', body: cm('x') },
    { id: 'err/200-list-in-missing-namespace', method: 'GET', path: '/api/v1/namespaces/fid-none/configmaps', compare: { fields: ['kind', 'apiVersion', 'items'] } },
    { id: 'err/404-binding-missing-pod', method: 'POST', path: `${CORE}/pods/none/binding`, body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'none' }, target: { kind: 'Node', name: '{node0}' } }, compare: 'reason' },
    { id: 'err/405-post-named-pod', method: 'POST', path: `${CORE}/pods/x`, body: heldPod('x'), compare: 'reason' },
    { id: 'err/405-put-collection', method: 'PUT', path: `${CORE}/configmaps`, body: cm('x'), compare: 'reason' },
    { id: 'err/405-patch-collection', method: 'PATCH', path: `${CORE}/configmaps`, body: {}, compare: 'reason' },
    { id: 'err/415-post-text', method: 'POST', path: `${CORE}/configmaps`, body: 'data: {}', type: 'text', compare: 'reason' },
    { id: 'err/415-patch-json', method: 'PATCH', path: `${CORE}/configmaps/none`, body: { data: {} }, type: 'json', compare: 'reason' },
    { id: 'err/400-malformed-json', method: 'POST', path: `${CORE}/configmaps`, body: '{"metadata": {"name": "x"', compare: 'reason' },
    { id: 'err/400-int32-as-string', method: 'POST', path: `${APPS}/deployments`, body: { ...deploy('bad-replicas', 1), spec: { ...(deploy('x', 1) as { spec: object }).spec, replicas: 'three' } }, compare: 'reason' },
    { id: 'err/400-data-not-string', method: 'POST', path: `${CORE}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'num' }, data: { a: 1 } }, compare: 'reason' },
    { id: 'err/400-namespace-mismatch', method: 'POST', path: `${CORE}/configmaps`, body: { ...cm('mismatch'), metadata: { name: 'mismatch', namespace: 'default' } }, compare: 'reason' },
    { id: 'err/400-bad-label-selector', method: 'GET', path: `${CORE}/pods?labelSelector=${encodeURIComponent('a in (')}`, compare: 'reason' },
    { id: 'err/400-unknown-field-selector', method: 'GET', path: `${CORE}/pods?fieldSelector=spec.nope%3Dx`, compare: 'reason' },
    { id: 'err/400-field-selector-configmap-data', method: 'GET', path: `${CORE}/configmaps?fieldSelector=data.a%3D1`, compare: 'reason' },
    { id: 'err/400-rvmatch-without-rv', method: 'GET', path: `${CORE}/configmaps?resourceVersionMatch=NotOlderThan`, compare: 'reason' },
    { id: 'err/400-json-patch-not-a-list', method: 'PATCH', path: `${CORE}/configmaps/none`, body: { op: 'add' }, type: 'jsonpatch', compare: 'code' },
    { id: 'err/400-apply-without-field-manager', method: 'PATCH', path: `${CORE}/configmaps/apply-nofm`, body: cm('apply-nofm'), type: 'apply', compare: 'reason' },
    { id: 'err/422-pod-without-containers', method: 'POST', path: `${CORE}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'empty' }, spec: { containers: [] } }, compare: 'reason' },
    { id: 'err/422-pod-bad-name', method: 'POST', path: `${CORE}/pods`, body: heldPod('Bad_Name'), compare: 'reason' },
    { id: 'err/422-pod-bad-restart-policy', method: 'POST', path: `${CORE}/pods`, body: heldPod('badrp', { restartPolicy: 'Sometimes' }), compare: 'reason' },
    { id: 'err/422-pod-duplicate-container', method: 'POST', path: `${CORE}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'dup' }, spec: { containers: [{ name: 'c', image: 'i' }, { name: 'c', image: 'i' }] } }, compare: 'reason' },
    { id: 'err/422-pod-missing-image', method: 'POST', path: `${CORE}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'noimage' }, spec: { containers: [{ name: 'c' }] } }, compare: 'reason' },
    { id: 'err/422-pod-negative-cpu', method: 'POST', path: `${CORE}/pods`, body: heldPod('negcpu', { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '-1' } } }] }), compare: 'reason' },
    { id: 'err/422-bad-label-value', method: 'POST', path: `${CORE}/configmaps`, body: cm('badlabel', { a: 'not ok!' }), compare: 'reason' },
    { id: 'err/422-configmap-bad-name', method: 'POST', path: `${CORE}/configmaps`, body: cm('-bad-'), compare: 'reason' },
    { id: 'err/422-configmap-no-name', method: 'POST', path: `${CORE}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, compare: 'reason' },
    { id: 'err/422-deployment-negative-replicas', method: 'POST', path: `${APPS}/deployments`, body: deploy('neg', -1), compare: 'reason' },
    { id: 'err/422-deployment-selector-mismatch', method: 'POST', path: `${APPS}/deployments`, body: deploy('mism', 1, { selector: { matchLabels: { app: 'other' } } }), compare: 'reason' },
    { id: 'err/422-namespace-bad-name', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Bad.NS' } }, compare: 'reason' },
    { id: 'err/403-missing-service-account', method: 'POST', path: `${CORE}/pods`, body: heldPod('nosa', { serviceAccountName: 'none' }), compare: 'reason' },
    {
      id: 'err/409-already-exists',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('twice'), compare: 'none' },
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('twice'), compare: 'all' },
      ],
    },
    {
      id: 'err/409-stale-resource-version',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('stale'), compare: 'none', save: 'v1' },
        { method: 'PATCH', path: `${CORE}/configmaps/stale`, body: { data: { a: '2' } }, compare: 'none' },
        { method: 'PUT', path: `${CORE}/configmaps/stale`, from: 'v1', set: { 'data.a': '3' }, compare: 'all' },
      ],
    },
    {
      id: 'err/409-uid-precondition',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('precond'), compare: 'none' },
        { method: 'DELETE', path: `${CORE}/configmaps/precond`, body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }, compare: 'reason' },
      ],
    },
    {
      id: 'err/400-put-name-mismatch',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('rename'), compare: 'none', save: 'c' },
        { method: 'PUT', path: `${CORE}/configmaps/rename`, from: 'c', set: { 'metadata.name': 'other' }, compare: 'reason' },
      ],
    },
    {
      id: 'err/422-json-patch-test-fails',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('jptest'), compare: 'none' },
        { method: 'PATCH', path: `${CORE}/configmaps/jptest`, body: [{ op: 'test', path: '/data/a', value: 'nope' }], type: 'jsonpatch', compare: 'code' },
      ],
    },
    {
      id: 'err/422-json-patch-missing-path',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps`, body: cm('jpmissing'), compare: 'none' },
        { method: 'PATCH', path: `${CORE}/configmaps/jpmissing`, body: [{ op: 'replace', path: '/data/none', value: 'x' }], type: 'jsonpatch', compare: 'code' },
      ],
    },
    { id: 'err/504-get-future-resource-version', method: 'GET', path: `${CORE}/configmaps/none?resourceVersion=99999999`, compare: 'reason' },
    { id: 'err/400-strict-unknown-field', method: 'POST', path: `${CORE}/configmaps?fieldValidation=Strict`, body: { ...cm('strict'), bogus: 1 }, compare: 'reason' },
    { id: 'err/422-dry-run-bad', method: 'POST', path: `${CORE}/configmaps?dryRun=Maybe`, body: cm('dry'), compare: 'code' },
    {
      id: 'err/dry-run-stores-nothing',
      steps: [
        { method: 'POST', path: `${CORE}/configmaps?dryRun=All`, body: cm('dryrun'), compare: { fields: ['metadata.name', 'data'] } },
        { method: 'GET', path: `${CORE}/configmaps/dryrun`, compare: 'reason' },
      ],
    },
  ],
};
