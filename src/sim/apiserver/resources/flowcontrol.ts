import { DEFAULT_FLOW_SCHEMAS, DEFAULT_PRIORITY_LEVELS, type FlowSchemaDef, type PriorityLevelDef } from '../flowcontrol/bootstrap.js';
import { randomUUID } from 'node:crypto';
import type { ApiContext } from '../context.js';
import type { ResourceDef } from '../resource-def.js';
import { storageKey } from '../storage-keys.js';
import { cloneJson, isRecord, type KubeObject, rfc3339Seconds } from '../types.js';
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

/**
 * Stores the default FlowSchemas and PriorityLevelConfigurations as the apiserver's config
 * producer does (kept across restarts on a data dir); returns their UIDs by name.
 */
export async function storeFlowControlObjects(ctx: Pick<ApiContext, 'store' | 'now'>): Promise<{ flowSchemas: Map<string, string>; levels: Map<string, string> }> {
  const uids = { flowSchemas: new Map<string, string>(), levels: new Map<string, string>() };
  const now = rfc3339Seconds(ctx.now());
  for (const { def, obj } of flowControlObjects(now)) {
    const name = obj.metadata.name!;
    const key = storageKey(def, undefined, name);
    const store = ctx.store(def);
    let uid = (await store.get(key))?.obj.metadata.uid;
    if (!uid) {
      obj.metadata.uid = randomUUID();
      obj.metadata.creationTimestamp = now;
      uid = (await store.create(key, obj)).obj.metadata.uid!;
    }
    (def === flowschemas ? uids.flowSchemas : uids.levels).set(name, uid);
  }
  return uids;
}

/** The stored objects of the default configuration, as the apiserver creates them. */
function flowControlObjects(now: string): { def: ResourceDef; obj: KubeObject }[] {
  const fs = (d: FlowSchemaDef): KubeObject => ({
    apiVersion: `${GROUP}/v1`,
    kind: 'FlowSchema',
    metadata: { name: d.name, annotations: { ...AUTO_UPDATE } },
    spec: cloneJson(d.spec) as unknown as Json,
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
    spec: cloneJson(d.spec) as unknown as Json,
    status: {},
  });
  return [
    ...DEFAULT_PRIORITY_LEVELS.map((d) => ({ def: prioritylevelconfigurations, obj: pl(d) })),
    ...DEFAULT_FLOW_SCHEMAS.map((d) => ({ def: flowschemas, obj: fs(d) })),
  ];
}
