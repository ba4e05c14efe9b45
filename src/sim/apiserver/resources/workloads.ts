import type { ResourceDef, Strategy } from '../resource-def.js';
import { parseLabelSelector, SelectorParseError } from '../selectors.js';
import type { StatusCause } from '../status.js';
import { isRecord, type KubeObject } from '../types.js';
import { ageColumn, nameColumn } from './columns.js';
import { labelSelectorString } from './label-selector.js';
import { scaleSubresource } from './scale.js';
import { defaultPodSpec, validatePodSpec } from './pod-spec.js';
import { invalidValue, notSupported, required } from './validation.js';

type Json = Record<string, unknown>;

function specOf(o: KubeObject): Json {
  return isRecord(o.spec) ? o.spec : {};
}

function statusNum(o: KubeObject, field: string): number {
  const st = isRecord(o.status) ? o.status : {};
  return typeof st[field] === 'number' ? (st[field] as number) : 0;
}

function validateTemplateWorkload(obj: KubeObject): StatusCause[] {
  const spec = specOf(obj);
  const causes: StatusCause[] = [];
  if (!isRecord(spec.selector)) causes.push(required('spec.selector'));
  const template = isRecord(spec.template) ? spec.template : undefined;
  if (!template) {
    causes.push(required('spec.template'));
    return causes;
  }
  const meta = isRecord(template.metadata) ? template.metadata : {};
  const labels = isRecord(meta.labels) ? (meta.labels as Record<string, string>) : {};
  if (isRecord(spec.selector)) {
    const text = labelSelectorString(spec.selector);
    if (text === '') {
      causes.push(invalidValue('spec.selector', spec.selector, 'empty selector is invalid for deployment'));
    } else {
      try {
        if (!parseLabelSelector(text).matches(labels)) {
          causes.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
        }
      } catch (e) {
        if (e instanceof SelectorParseError) causes.push(invalidValue('spec.selector', spec.selector, e.message));
        else throw e;
      }
    }
  }
  const replicas = spec.replicas;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    causes.push(invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  return causes;
}

const DEPLOYMENT_STRATEGIES = ['Recreate', 'RollingUpdate'];

function validateDeploymentStrategy(spec: Json): StatusCause[] {
  const strategy = isRecord(spec.strategy) ? spec.strategy : {};
  return DEPLOYMENT_STRATEGIES.includes(String(strategy.type)) ? [] : [notSupported('spec.strategy.type', strategy.type, DEPLOYMENT_STRATEGIES)];
}

/** `initialStatus`: what a new object's status is (ReplicaSetStatus.replicas has no omitempty: 0 shows). */
function templateStrategy(extraDefaults: (spec: Json) => void, extraValidate: (spec: Json) => StatusCause[] = () => [], initialStatus: () => Json = () => ({})): Strategy {
  const validate = (obj: KubeObject): StatusCause[] => [...validateTemplateWorkload(obj), ...extraValidate(specOf(obj))];
  return {
    prepareForCreate(obj) {
      const spec = specOf(obj);
      spec.replicas ??= 1;
      extraDefaults(spec);
      const template = isRecord(spec.template) ? spec.template : undefined;
      if (template) {
        template.metadata = isRecord(template.metadata) ? template.metadata : {};
        if (isRecord(template.spec)) defaultPodSpec(template.spec);
      }
      obj.spec = spec;
      obj.status = initialStatus();
    },
    validate,
    prepareForUpdate(obj, old) {
      const spec = specOf(obj);
      spec.replicas ??= 1;
      extraDefaults(spec);
      const template = isRecord(spec.template) ? spec.template : undefined;
      if (template && isRecord(template.spec)) defaultPodSpec(template.spec);
      obj.status = old.status;
    },
    // Only what an update adds: the generic handler runs `validate` on updates too.
    validateUpdate(obj, old) {
      const causes: StatusCause[] = [];
      if (JSON.stringify(specOf(obj).selector) !== JSON.stringify(specOf(old).selector)) {
        causes.push(invalidValue('spec.selector', specOf(obj).selector, 'field is immutable'));
      }
      return causes;
    },
  };
}

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  kind: 'Deployment',
  typedFields: [
    { path: 'spec.replicas', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.minReadySeconds', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.revisionHistoryLimit', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.progressDeadlineSeconds', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.paused', type: 'bool', struct: 'DeploymentSpec' },
    { path: 'spec.strategy.type', type: 'string', struct: 'DeploymentStrategy' },
    { path: 'spec.template.metadata.labels', type: 'map<string>', struct: 'ObjectMeta' },
    { path: 'spec.template.spec.containers', type: 'array', struct: 'PodSpec' },
  ],
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  storage: 'deployments',
  subresources: ['status', 'scale'],
  subresourceHandlers: { scale: scaleSubresource },
  generation: true,
  annotationsInGeneration: true,
  strategy: templateStrategy((spec) => {
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    const strategy = isRecord(spec.strategy) ? spec.strategy : {};
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
      ru.maxUnavailable ??= '25%';
      ru.maxSurge ??= '25%';
      strategy.rollingUpdate = ru;
    }
    spec.strategy = strategy;
  }, validateDeploymentStrategy),
  columns: [
    nameColumn,
    {
      name: 'Ready',
      type: 'string',
      description: 'Number of the pod with ready state',
      priority: 0,
      cell: (o) => `${statusNum(o, 'readyReplicas')}/${typeof specOf(o).replicas === 'number' ? specOf(o).replicas : 0}`,
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      priority: 0,
      cell: (o) => statusNum(o, 'updatedReplicas'),
    },
    {
      name: 'Available',
      type: 'integer',
      description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      priority: 0,
      cell: (o) => statusNum(o, 'availableReplicas'),
    },
    ageColumn,
  ],
};

export const replicasets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  resource: 'replicasets',
  kind: 'ReplicaSet',
  typedFields: [
    { path: 'spec.replicas', type: 'int32', struct: 'ReplicaSetSpec' },
    { path: 'spec.minReadySeconds', type: 'int32', struct: 'ReplicaSetSpec' },
    { path: 'spec.template.metadata.labels', type: 'map<string>', struct: 'ObjectMeta' },
    { path: 'spec.template.spec.containers', type: 'array', struct: 'PodSpec' },
  ],
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  storage: 'replicasets',
  subresources: ['status', 'scale'],
  subresourceHandlers: { scale: scaleSubresource },
  generation: true,
  strategy: templateStrategy(() => undefined, () => [], () => ({ replicas: 0 })),
  columns: [
    nameColumn,
    {
      name: 'Desired',
      type: 'integer',
      description: 'Number of desired pods.',
      priority: 0,
      cell: (o) => (typeof specOf(o).replicas === 'number' ? (specOf(o).replicas as number) : 0),
    },
    {
      name: 'Current',
      type: 'integer',
      description: 'Number of actual replicas.',
      priority: 0,
      cell: (o) => statusNum(o, 'replicas'),
    },
    {
      name: 'Ready',
      type: 'integer',
      description: 'Number of ready replicas.',
      priority: 0,
      cell: (o) => statusNum(o, 'readyReplicas'),
    },
    ageColumn,
  ],
};
