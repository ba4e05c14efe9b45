import type { ResourceDef, VersionCodec } from '../resource-def.js';
import { isRecord, type KubeObject } from '../types.js';
import { humanDuration, str } from './columns.js';
import { required } from './validation.js';

type Json = Record<string, unknown>;

function rec(v: unknown): Json {
  return isRecord(v) ? v : {};
}

const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
] as const;

function eventFields(o: KubeObject): Record<string, string> {
  const io = rec(o.involvedObject);
  const out: Record<string, string> = {};
  for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
    out[`involvedObject.${f}`] = str(io[f], '');
  }
  out.reason = str(o.reason, '');
  out.reportingComponent = str(o.reportingComponent, '');
  // EventToSelectableFields: an event without source.component (events.k8s.io writers set
  // reportingController and no deprecatedSource) is selected by its reporting controller.
  out.source = str(rec(o.source).component, '') || out.reportingComponent;
  out.type = str(o.type, '');
  return out;
}

/**
 * The core/v1 Event fields Go always encodes (no omitempty): what an event written through
 * either API reads back with when its writer left them out.
 */
function defaultStoredEvent(obj: KubeObject): void {
  obj.source ??= {};
  obj.firstTimestamp ??= null;
  obj.lastTimestamp ??= null;
  obj.eventTime ??= null;
  obj.reportingComponent ??= '';
  obj.reportingInstance ??= '';
}

const renames: [core: string, events: string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

/** events.k8s.io/v1 Events share storage with core/v1 Events; this maps the field names. */
const eventsV1Codec: VersionCodec = {
  fromStorage(stored) {
    const out: KubeObject = { ...stored, apiVersion: 'events.k8s.io/v1', kind: 'Event' };
    for (const [core, ev] of renames) {
      if (core in out) {
        out[ev] = out[core];
        delete out[core];
      }
    }
    // omitempty in events.k8s.io/v1 (not in core/v1): empty strings are left out.
    for (const k of ['reportingController', 'reportingInstance']) if (out[k] === '') delete out[k];
    return out;
  },
  toStorage(served) {
    const out: KubeObject = { ...served, apiVersion: 'v1', kind: 'Event' };
    for (const [core, ev] of renames) {
      if (ev in out) {
        out[core] = out[ev];
        delete out[ev];
      }
    }
    return out;
  },
  fieldAlias: {
    'regarding.kind': 'involvedObject.kind',
    'regarding.namespace': 'involvedObject.namespace',
    'regarding.name': 'involvedObject.name',
    'regarding.uid': 'involvedObject.uid',
    'regarding.apiVersion': 'involvedObject.apiVersion',
    'regarding.resourceVersion': 'involvedObject.resourceVersion',
    'regarding.fieldPath': 'involvedObject.fieldPath',
    reportingController: 'reportingComponent',
  },
};

function lastSeen(o: KubeObject, now: number): string {
  const series = rec(o.series);
  const t =
    str(series.lastObservedTime, '') || str(o.lastTimestamp, '') || str(o.eventTime, '') || str(o.firstTimestamp, '');
  return t ? humanDuration(now - Date.parse(t)) : '<unknown>';
}

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  storage: 'events',
  subresources: [],
  fieldNames: EVENT_FIELDS,
  fields: eventFields,
  strategy: {
    prepareForCreate: defaultStoredEvent,
    validate(obj) {
      const causes = [];
      if (!isRecord(obj.involvedObject)) causes.push(required('involvedObject'));
      return causes;
    },
  },
  columns: [
    {
      name: 'Last Seen',
      type: 'string',
      description: 'Time when this Event was last seen',
      priority: 0,
      cell: lastSeen,
    },
    { name: 'Type', type: 'string', description: 'Type of this event', priority: 0, cell: (o) => str(o.type, '') },
    { name: 'Reason', type: 'string', description: 'Why the action was taken', priority: 0, cell: (o) => str(o.reason, '') },
    {
      name: 'Object',
      type: 'string',
      description: 'The object this Event is about',
      priority: 0,
      cell: (o) => {
        const io = rec(o.involvedObject);
        return `${str(io.kind, '').toLowerCase()}/${str(io.name, '')}`;
      },
    },
    { name: 'Message', type: 'string', description: 'A description of the status', priority: 0, cell: (o) => str(o.message, '') },
  ],
};

export const eventsV1: ResourceDef = {
  ...events,
  group: 'events.k8s.io',
  version: 'v1',
  shortNames: ['ev'],
  codec: eventsV1Codec,
  // The field labels events.k8s.io/v1 accepts (AddFieldLabelConversionsForEvent), each
  // mapped to the stored (core/v1) field it selects on.
  fieldNames: ['reason', 'source', 'type', ...Object.keys(eventsV1Codec.fieldAlias ?? {})],
  strategy: {
    prepareForCreate: defaultStoredEvent,
    validate(obj) {
      // Runs on the stored (core/v1) form; messages name the events.k8s.io fields.
      const causes = [];
      if (!obj.eventTime) causes.push(required('eventTime'));
      if (!obj.reportingComponent) causes.push(required('reportingController'));
      if (!obj.reportingInstance) causes.push(required('reportingInstance'));
      if (!obj.action) causes.push(required('action'));
      if (!obj.reason) causes.push(required('reason'));
      return causes;
    },
  },
};
