import type { ResourceDef, Strategy } from '../resource-def.js';
import type { StatusCause } from '../status.js';
import { isRecord, type KubeObject } from '../types.js';
import { ageColumn, nameColumn } from './columns.js';
import { defaultPodSpec, validatePodSpec } from './pod-spec.js';
import { forbidden, invalidValue, notSupported, required } from './validation.js';

/**
 * Jobs and RBAC objects, stored and validated as kube-apiserver validates them (the rules
 * kbench's Job manifests depend on: k8s.io/kubernetes pkg/apis/batch/validation and
 * pkg/apis/rbac/validation), so that `kubectl apply --dry-run=server` of `kbench job`'s
 * output means something on the sim. No Job controller runs Jobs and no authorizer reads
 * the RBAC objects (docs/sim.md).
 */

type Json = Record<string, unknown>;

function specOf(o: KubeObject): Json {
  return isRecord(o.spec) ? o.spec : {};
}

function nonNegativeInt(causes: StatusCause[], field: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) causes.push(invalidValue(field, v, 'must be greater than or equal to 0'));
}

const POD_FAILURE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

function validatePodFailurePolicy(spec: Json, restartPolicy: unknown, causes: StatusCause[]): void {
  const pfp = spec.podFailurePolicy;
  if (pfp === undefined) return;
  if (restartPolicy !== 'Never') causes.push(invalidValue('spec.template.spec.restartPolicy', restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  const rules = isRecord(pfp) && Array.isArray(pfp.rules) ? pfp.rules : [];
  rules.forEach((r: unknown, i) => {
    const at = `spec.podFailurePolicy.rules[${i}]`;
    if (!isRecord(r)) return void causes.push(required(at));
    if (!POD_FAILURE_ACTIONS.includes(String(r.action))) causes.push(notSupported(`${at}.action`, r.action, POD_FAILURE_ACTIONS));
    if (r.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) causes.push(invalidValue(`${at}.action`, r.action, 'requires the backoffLimitPerIndex to be set'));
    const codes = r.onExitCodes;
    const conds = r.onPodConditions;
    if ((codes === undefined) === (conds === undefined)) causes.push(invalidValue(at, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (isRecord(codes)) {
      if (codes.operator !== 'In' && codes.operator !== 'NotIn') causes.push(notSupported(`${at}.onExitCodes.operator`, codes.operator, ['In', 'NotIn']));
      const values = Array.isArray(codes.values) ? codes.values : [];
      if (values.length === 0) causes.push(required(`${at}.onExitCodes.values`));
      values.forEach((v: unknown, j) => {
        if (typeof v !== 'number' || !Number.isInteger(v)) causes.push(invalidValue(`${at}.onExitCodes.values[${j}]`, v, 'must be an integer'));
        else if (codes.operator === 'In' && v === 0) causes.push(invalidValue(`${at}.onExitCodes.values[${j}]`, v, 'must not be 0 for the In operator'));
        else if (j > 0 && typeof values[j - 1] === 'number' && v <= (values[j - 1] as number)) causes.push(invalidValue(`${at}.onExitCodes.values[${j}]`, v, 'must be ordered'));
      });
    }
    if (Array.isArray(conds)) {
      conds.forEach((c: unknown, j) => {
        if (!isRecord(c) || typeof c.type !== 'string' || c.type === '') causes.push(required(`${at}.onPodConditions[${j}].type`));
        else if (c.status !== undefined && !['True', 'False', 'Unknown'].includes(String(c.status))) causes.push(notSupported(`${at}.onPodConditions[${j}].status`, c.status, ['True', 'False', 'Unknown']));
      });
    }
  });
}

const jobStrategy: Strategy = {
  prepareForCreate(obj) {
    const spec = specOf(obj);
    spec.completionMode ??= 'NonIndexed';
    if (spec.completions === undefined && spec.parallelism === undefined) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    spec.parallelism ??= 1;
    spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
    spec.suspend ??= false;
    spec.manualSelector ??= false;
    const uid = String((obj.metadata as Json).uid ?? '');
    const template = isRecord(spec.template) ? spec.template : undefined;
    if (template) {
      const meta = isRecord(template.metadata) ? template.metadata : {};
      const name = String((obj.metadata as Json).name ?? '');
      meta.labels = { ...(isRecord(meta.labels) ? meta.labels : {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
      template.metadata = meta;
      if (isRecord(template.spec)) defaultPodSpec(template.spec);
    }
    spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    obj.spec = spec;
    obj.status = {};
  },
  validate(obj) {
    const spec = specOf(obj);
    const causes: StatusCause[] = [];
    const template = isRecord(spec.template) ? spec.template : undefined;
    if (!template) return [required('spec.template')];
    const podSpec = isRecord(template.spec) ? template.spec : {};
    causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
    if (podSpec.restartPolicy !== 'OnFailure' && podSpec.restartPolicy !== 'Never') causes.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy, ['OnFailure', 'Never']));
    for (const f of ['parallelism', 'completions', 'backoffLimit', 'backoffLimitPerIndex', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished'] as const) nonNegativeInt(causes, `spec.${f}`, spec[f]);
    if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') causes.push(notSupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
    if (spec.completionMode === 'Indexed') {
      if (spec.completions === undefined) causes.push(required('spec.completions'));
    } else if (spec.backoffLimitPerIndex !== undefined) {
      causes.push(invalidValue('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    }
    validatePodFailurePolicy(spec, podSpec.restartPolicy, causes);
    return causes;
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
  },
  validateUpdate(obj, old) {
    const a = specOf(obj);
    const b = specOf(old);
    const causes: StatusCause[] = [];
    for (const f of ['completions', 'completionMode', 'selector', 'template'] as const) {
      if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) causes.push(invalidValue(`spec.${f}`, a[f], 'field is immutable'));
    }
    return causes;
  },
};

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  resource: 'jobs',
  kind: 'Job',
  singular: 'job',
  namespaced: true,
  storage: 'jobs',
  subresources: ['status'],
  strategy: jobStrategy,
  columns: [nameColumn, { name: 'Completions', type: 'string', description: 'Completions', priority: 0, cell: (o) => `${isRecord(o.status) && typeof o.status.succeeded === 'number' ? o.status.succeeded : 0}/${String(specOf(o).completions ?? '')}` }, ageColumn],
};

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function ruleCauses(obj: KubeObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = Array.isArray(obj.rules) ? obj.rules : [];
  rules.forEach((r: unknown, i) => {
    const at = `rules[${i}]`;
    if (!isRecord(r)) return void causes.push(required(at));
    const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
    if (len(r.verbs) === 0) causes.push(required(`${at}.verbs`));
    if (len(r.nonResourceURLs) > 0) {
      if (namespaced) causes.push(invalidValue(`${at}.nonResourceURLs`, r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (len(r.apiGroups) > 0 || len(r.resources) > 0) causes.push(invalidValue(`${at}.nonResourceURLs`, r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      return;
    }
    if (len(r.apiGroups) === 0) causes.push(required(`${at}.apiGroups`));
    if (len(r.resources) === 0) causes.push(required(`${at}.resources`));
  });
  return causes;
}

function bindingCauses(obj: KubeObject, cluster: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = isRecord(obj.roleRef) ? obj.roleRef : undefined;
  if (!ref) causes.push(required('roleRef'));
  else {
    if (ref.apiGroup !== RBAC_GROUP) causes.push(notSupported('roleRef.apiGroup', ref.apiGroup, [RBAC_GROUP]));
    const kinds = cluster ? ['ClusterRole'] : ['Role', 'ClusterRole'];
    if (!kinds.includes(String(ref.kind))) causes.push(notSupported('roleRef.kind', ref.kind, kinds));
    if (typeof ref.name !== 'string' || ref.name === '') causes.push(required('roleRef.name'));
  }
  const subjects = Array.isArray(obj.subjects) ? obj.subjects : [];
  subjects.forEach((s: unknown, i) => {
    const at = `subjects[${i}]`;
    if (!isRecord(s)) return void causes.push(required(at));
    if (typeof s.name !== 'string' || s.name === '') causes.push(required(`${at}.name`));
    if (s.kind === 'ServiceAccount') {
      if (s.apiGroup !== undefined && s.apiGroup !== '') causes.push(notSupported(`${at}.apiGroup`, s.apiGroup, ['']));
      if (cluster && (typeof s.namespace !== 'string' || s.namespace === '')) causes.push(required(`${at}.namespace`));
    } else if (s.kind === 'User' || s.kind === 'Group') {
      if (s.apiGroup !== RBAC_GROUP) causes.push(notSupported(`${at}.apiGroup`, s.apiGroup, [RBAC_GROUP]));
    } else causes.push(notSupported(`${at}.kind`, s.kind, ['ServiceAccount', 'User', 'Group']));
  });
  return causes;
}

const roleRefImmutable = (obj: KubeObject, old: KubeObject): StatusCause[] =>
  JSON.stringify(obj.roleRef) === JSON.stringify(old.roleRef) ? [] : [forbidden('roleRef', 'cannot change roleRef')];

function rbac(resource: string, kind: string, namespaced: boolean, validate: (o: KubeObject) => StatusCause[], validateUpdate?: Strategy['validateUpdate']): ResourceDef {
  return {
    group: RBAC_GROUP,
    version: 'v1',
    resource,
    kind,
    singular: kind.toLowerCase(),
    namespaced,
    storage: resource,
    subresources: [],
    strategy: { validate, ...(validateUpdate ? { validateUpdate } : {}) },
    columns: [nameColumn, ageColumn],
  };
}

export const clusterroles = rbac('clusterroles', 'ClusterRole', false, (o) => ruleCauses(o, false));
export const clusterrolebindings = rbac('clusterrolebindings', 'ClusterRoleBinding', false, (o) => bindingCauses(o, true), roleRefImmutable);
export const roles = rbac('roles', 'Role', true, (o) => ruleCauses(o, true));
export const rolebindings = rbac('rolebindings', 'RoleBinding', true, (o) => bindingCauses(o, false), roleRefImmutable);
