import { DEFAULT_FLOW_SCHEMAS, DEFAULT_PRIORITY_LEVELS, type FlowSchemaDef, type PriorityLevelDef } from '../flowcontrol/bootstrap.js';
import type { ResourceDef } from '../resource-def.js';
import { isRecord, type KubeObject } from '../types.js';
import { ageColumn, nameColumn, str } from './columns.js';

type Json = Record<string, unknown>;

const GROUP = 'flowcontrol.apiserver.k8s.io';
/** The annotation the apiserver puts on the configuration objects it maintains. */
const AUTO_UPDATE = { 'apf.kubernetes.io/autoupdate-spec': 'true' };
/** The sim's flow control is the default configuration: served, not changeable. */
const READ_ONLY = ['get', 'list', 'watch'] as const;

function spec(o: KubeObject): Json {
  return isRecord(o.spec) ? o.spec : {};
}

export const flowschemas: ResourceDef = {
  group: GROUP,
  version: 'v1',
  resource: 'flowschemas',
  kind: 'FlowSchema',
  singular: 'flowschema',
  namespaced: false,
  storage: 'flowschemas',
  subresources: [],
  verbs: READ_ONLY,
  columns: [
    nameColumn,
    { name: 'PriorityLevel', type: 'string', description: 'The priority level of the matched requests', priority: 0, cell: (o) => str(isRecord(spec(o).priorityLevelConfiguration) ? (spec(o).priorityLevelConfiguration as Json).name : undefined) },
    { name: 'MatchingPrecedence', type: 'string', description: 'The lower, the earlier it is tried', priority: 0, cell: (o) => String(spec(o).matchingPrecedence ?? '') },
    { name: 'DistinguisherMethod', type: 'string', description: 'How flows are told apart', priority: 0, cell: (o) => str(isRecord(spec(o).distinguisherMethod) ? (spec(o).distinguisherMethod as Json).type : undefined) },
    ageColumn,
    { name: 'MissingPL', type: 'string', description: 'Whether the priority level is missing', priority: 0, cell: () => 'False' },
  ],
};

export const prioritylevelconfigurations: ResourceDef = {
  group: GROUP,
  version: 'v1',
  resource: 'prioritylevelconfigurations',
  kind: 'PriorityLevelConfiguration',
  singular: 'prioritylevelconfiguration',
  namespaced: false,
  storage: 'prioritylevelconfigurations',
  subresources: [],
  verbs: READ_ONLY,
  columns: [
    nameColumn,
    { name: 'Type', type: 'string', description: 'Exempt or Limited', priority: 0, cell: (o) => str(spec(o).type) },
    {
      name: 'NominalConcurrencyShares',
      type: 'string',
      description: 'Share of the server concurrency',
      priority: 0,
      cell: (o) => {
        const l = isRecord(spec(o).limited) ? (spec(o).limited as Json) : isRecord(spec(o).exempt) ? (spec(o).exempt as Json) : {};
        return String(l.nominalConcurrencyShares ?? '<none>');
      },
    },
    ...(['queues', 'handSize', 'queueLengthLimit'] as const).map((f) => ({
      name: f === 'queues' ? 'Queues' : f === 'handSize' ? 'HandSize' : 'QueueLengthLimit',
      type: 'string' as const,
      description: `limitResponse.queuing.${f}`,
      priority: 0,
      cell: (o: KubeObject) => {
        const l = isRecord(spec(o).limited) ? (spec(o).limited as Json) : {};
        const q = isRecord(l.limitResponse) && isRecord(l.limitResponse.queuing) ? l.limitResponse.queuing : undefined;
        return q ? String(q[f]) : '<none>';
      },
    })),
    ageColumn,
  ],
};

/** The stored objects of the default configuration, as the apiserver creates them. */
export function flowControlObjects(now: string): { def: ResourceDef; obj: KubeObject }[] {
  const fs = (d: FlowSchemaDef): KubeObject => ({
    apiVersion: `${GROUP}/v1`,
    kind: 'FlowSchema',
    metadata: { name: d.name, annotations: { ...AUTO_UPDATE } },
    spec: structuredClone(d.spec) as unknown as Json,
    status: {
      conditions: [
        {
          type: 'Dangling',
          status: 'False',
          reason: 'Found',
          message: `This FlowSchema references the PriorityLevelConfiguration object named "${d.spec.priorityLevelConfiguration.name}" and it exists`,
          lastTransitionTime: now,
        },
      ],
    },
  });
  const pl = (d: PriorityLevelDef): KubeObject => ({
    apiVersion: `${GROUP}/v1`,
    kind: 'PriorityLevelConfiguration',
    metadata: { name: d.name, annotations: { ...AUTO_UPDATE } },
    spec: structuredClone(d.spec) as unknown as Json,
    status: {},
  });
  return [
    ...DEFAULT_PRIORITY_LEVELS.map((d) => ({ def: prioritylevelconfigurations, obj: pl(d) })),
    ...DEFAULT_FLOW_SCHEMAS.map((d) => ({ def: flowschemas, obj: fs(d) })),
  ];
}
