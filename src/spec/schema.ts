import type { FromSchema } from 'json-schema-to-ts';
import { DURATION } from './formats.js';
import { MEASUREMENTS_SCHEMA } from './measurements.js';
import { SIM_SCHEMA_PROPERTIES } from './sim-settings.js';
import { SLO_SCHEMA_PROPERTIES } from './slos.js';

/**
 * The workload spec: one strict JSON Schema (unknown keys are errors), the source of the
 * TypeScript types below and of workloads/schema.json (written by `npm run schema`), which
 * editors use to validate workload files.
 */

const duration = { ...DURATION, description: 'A duration: 800ms, 5s, 2m, 1h30m.' } as const;

const positiveInt = { type: 'integer', minimum: 1 } as const;
/** Operations of one phase: a million is more than any control plane here takes; beyond it is a typo. */
export const MAX_OPERATIONS = 1_000_000;
const opCount = { type: 'integer', minimum: 1, maximum: MAX_OPERATIONS } as const;

const pacing = {
  workers: { ...positiveInt, description: 'Closed loop: operations in flight at once (p-limit). Default: defaults.workers, else 10.' },
  arrivalRate: {
    type: 'number',
    exclusiveMinimum: 0,
    description: 'Open loop: operations started per second (Poisson arrivals from the seed), whatever the cluster answers. Instead of workers.',
  },
  maxInFlight: { ...positiveInt, description: 'Open loop: arrivals beyond this many in flight are counted as skipped, not queued. Default 1000.' },
  qps: { type: 'number', minimum: 0, description: "kbench's client rate limit (token bucket), requests/s; 0 = none. Default: defaults.qps, else 0." },
  burst: { ...positiveInt, description: 'Token bucket size. Default: defaults.burst, else max(qps, 1).' },
  batch: {
    type: 'object',
    additionalProperties: false,
    required: ['size', 'interval'],
    properties: {
      size: { ...positiveInt, description: 'Operations per batch.' },
      interval: { ...duration, description: 'Pause after each batch completes.' },
    },
    description: 'Run the operations in batches with a pause between them (k-bench style).',
  },
  repeat: { ...positiveInt, maximum: 10_000, description: 'Run the phase this many times (creates continue the index). Default 1.' },
} as const;

const objectsRef = { type: 'string', minLength: 1, description: 'Name of an earlier create phase whose objects this phase acts on.' } as const;

export const WORKLOAD_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://kbench.io/schemas/workload.json',
  title: 'kbench workload',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'phases'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 40, description: 'Workload name: result folders and labels use it.' },
    description: { type: 'string' },
    seed: { type: 'integer', minimum: 0, description: 'Seed of everything random (arrivals, template {{random}}, the sim). --seed overrides.' },
    timeout: { ...duration, description: 'The whole run fails after this long. Default 1h.' },
    namespaces: {
      type: 'object',
      additionalProperties: false,
      properties: {
        prefix: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 20, description: 'Namespaces are <prefix>-<run id>-<n>. Default kbench.' },
        maxPodsPerNamespace: { ...positiveInt, description: 'Objects go to a new namespace before this many pods would share one. Default 3000.' },
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        workers: pacing.workers,
        qps: pacing.qps,
        burst: pacing.burst,
      },
      description: 'Pacing every phase gets unless it says otherwise.',
    },
    sim: {
      type: 'object',
      description: 'The simulated cluster this workload expects; used only when the target is `kbench sim`. Keys are `kbench sim` flags in camelCase (see src/spec/sim-settings.ts).',
      additionalProperties: false,
      properties: SIM_SCHEMA_PROPERTIES,
    },
    slo: {
      type: 'object',
      additionalProperties: false,
      description: 'Overrides of the default SLO thresholds (Kubernetes sig-scalability).',
      properties: SLO_SCHEMA_PROPERTIES,
    },
    measurements: MEASUREMENTS_SCHEMA,
    collect: {
      type: 'object',
      additionalProperties: false,
      description: 'Control-plane metrics to collect (see README, Collectors).',
      properties: {
        interval: { ...duration, description: 'Sampling interval of the time series. Default 5s.' },
        sources: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'type'],
            properties: {
              name: { type: 'string', pattern: '^[a-z0-9][-a-z0-9]*$' },
              type: { enum: ['apiserver', 'url', 'pod-proxy', 'prometheus'] },
              component: { enum: ['apiserver', 'scheduler', 'etcd', 'controller-manager'], description: 'Which metrics the source serves (url sources).' },
              url: { type: 'string', description: 'url: the metrics URL; prometheus: the server base URL.' },
              caFile: { type: 'string' },
              certFile: { type: 'string' },
              keyFile: { type: 'string' },
              tokenFile: { type: 'string' },
              insecureSkipVerify: { type: 'boolean' },
              namespace: { type: 'string', description: 'pod-proxy: the pod namespace (default kube-system).' },
              pod: { type: 'string', description: 'pod-proxy: the pod name; or leave it out and give lease.' },
              lease: { type: 'string', description: 'pod-proxy: find the pod from this Lease holder in kube-system (kube-scheduler).' },
              port: { type: 'integer', minimum: 1, maximum: 65535 },
              scheme: { enum: ['http', 'https'] },
              queries: {
                type: 'object',
                additionalProperties: { type: 'string' },
                description: 'prometheus: measurement name -> PromQL; $window is the rate() range (see README). Default: the built-in set.',
              },
              rateWindow: { ...duration, description: 'prometheus: $window in the time series queries (default 1m; at least 4 Prometheus scrape intervals).' },
            },
          },
        },
      },
    },
    phases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 40 },
          ...pacing,
          create: {
            type: 'object',
            additionalProperties: false,
            required: ['template', 'count'],
            properties: {
              template: { type: 'string', minLength: 1, description: 'Object template file, relative to the workload file.' },
              count: { ...opCount, description: 'Objects to create (per repeat).' },
              vars: {
                type: 'object',
                additionalProperties: { type: ['string', 'number', 'boolean'] },
                description: 'Template variables, used as {{name}} in the template.',
              },
            },
          },
          get: {
            type: 'object',
            additionalProperties: false,
            required: ['from'],
            properties: { from: objectsRef, count: { ...opCount, description: 'Requests (default: each object once).' } },
          },
          list: {
            type: 'object',
            additionalProperties: false,
            required: ['resource'],
            properties: {
              resource: { enum: ['pods', 'deployments', 'replicasets', 'configmaps', 'secrets', 'services', 'serviceaccounts', 'events', 'leases', 'namespaces', 'nodes'] },
              scope: { enum: ['namespace', 'cluster'], description: "namespace: in the run's namespaces (round robin); cluster: across all. Default namespace." },
              count: { ...opCount, description: 'List requests. Default 1.' },
              limit: { type: 'integer', minimum: 0, description: 'Page size (limit/continue); all pages are read. Default 500; 0 = one unpaginated request.' },
              labelSelector: { type: 'string' },
            },
          },
          patch: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'body'],
            properties: {
              from: objectsRef,
              type: { enum: ['merge', 'strategic', 'json'], description: 'Default merge.' },
              body: { description: 'The patch (template variables allowed in strings).' },
              count: opCount,
            },
          },
          update: {
            type: 'object',
            additionalProperties: false,
            required: ['from'],
            properties: {
              from: objectsRef,
              labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Labels set by a read-modify-write (GET, then PUT).' },
              annotations: { type: 'object', additionalProperties: { type: 'string' } },
              count: opCount,
            },
          },
          scale: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'replicas'],
            properties: { from: objectsRef, replicas: { type: 'integer', minimum: 0 } },
          },
          delete: {
            type: 'object',
            additionalProperties: false,
            required: ['from'],
            properties: {
              from: objectsRef,
              propagationPolicy: { enum: ['Background', 'Foreground', 'Orphan'] },
              gracePeriodSeconds: { type: 'integer', minimum: 0 },
            },
          },
          wait: {
            type: 'object',
            additionalProperties: false,
            required: ['for'],
            properties: {
              for: { enum: ['scheduled', 'running', 'ready', 'deleted'], description: 'Until every pod of the run (or of `from`) is in this state.' },
              from: objectsRef,
              timeout: { ...duration, description: 'The phase (and the run) fails after this long. Default 10m.' },
            },
          },
          sleep: duration,
        },
      },
    },
  },
} as const;

export type WorkloadSpec = FromSchema<typeof WORKLOAD_SCHEMA>;
export type PhaseSpec = WorkloadSpec['phases'][number];
export type CollectSpec = NonNullable<WorkloadSpec['collect']>;
export type SourceSpec = NonNullable<CollectSpec['sources']>[number];
export type SloSpec = NonNullable<WorkloadSpec['slo']>;
export type SimSpec = NonNullable<WorkloadSpec['sim']>;
export type MeasurementsSpec = NonNullable<WorkloadSpec['measurements']>;

/** The actions a phase can have; exactly one per phase. */
export const ACTIONS = ['create', 'get', 'list', 'patch', 'update', 'scale', 'delete', 'wait', 'sleep'] as const;
export type ActionName = (typeof ACTIONS)[number];
