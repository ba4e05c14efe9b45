import { isRecord, type KubeObject } from '../apiserver/types.js';
import { cpuMillis, parseQuantity } from '../quantity.js';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** What the scheduler keeps of a pod. */
export interface SchedPod {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  schedulerName: string;
  cpuMillis: number;
  memoryBytes: number;
  /** spec.nodeSelector as entries, made once: the filter runs for every node. */
  nodeSelector: [string, string][];
  /** requiredDuringSchedulingIgnoredDuringExecution: OR of terms, AND within a term. */
  affinityTerms: NodeSelectorRequirement[][];
  tolerations: Toleration[];
  ownerUid: string;
  priority: number;
  gated: boolean;
  deleting: boolean;
  terminal: boolean;
  /** PodScheduled condition message last written (to avoid rewriting the same). */
  unschedulableMessage: string;
}

/** What the scheduler keeps of a node. */
export interface SchedNode {
  name: string;
  allocCpuMillis: number;
  allocMemoryBytes: number;
  allocPods: number;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
}

function requests(containers: unknown): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of Array.isArray(containers) ? containers : []) {
    if (!isRecord(c) || !isRecord(c.resources)) continue;
    const req = isRecord(c.resources.requests) ? c.resources.requests : {};
    cpu += cpuMillis(req.cpu) ?? 0;
    memory += parseQuantity(req.memory) ?? 0;
  }
  return { cpu, memory };
}

export function toSchedPod(o: KubeObject, prev?: SchedPod): SchedPod {
  const spec = isRecord(o.spec) ? o.spec : {};
  const status = isRecord(o.status) ? o.status : {};
  const conds = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
  const schedCond = conds.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (prev && prev.uid === o.metadata.uid && prev.nodeName) {
    // A bound pod's requests, selectors and tolerations no longer matter or change: only its
    // progress does. A pending pod is read again (tolerations may be added, a gated pod's
    // selectors narrowed).
    return {
      ...prev,
      nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : '',
      gated: Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0,
      deleting: !!o.metadata.deletionTimestamp,
      terminal: status.phase === 'Succeeded' || status.phase === 'Failed',
      unschedulableMessage: typeof schedCond?.message === 'string' ? schedCond.message : '',
    };
  }
  const main = requests(spec.containers);
  // Init containers run one at a time before the others: the pod needs the larger of the two.
  const init = requests(spec.initContainers);
  const owner = (o.metadata.ownerReferences ?? []).find((r) => r.controller) ?? o.metadata.ownerReferences?.[0];
  const affinity = isRecord(spec.affinity) && isRecord(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : {};
  const required = isRecord(affinity.requiredDuringSchedulingIgnoredDuringExecution)
    ? affinity.requiredDuringSchedulingIgnoredDuringExecution
    : {};
  const terms = (Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [])
    .filter(isRecord)
    .map((t) => (Array.isArray(t.matchExpressions) ? t.matchExpressions : []).filter(isRecord) as unknown as NodeSelectorRequirement[]);
  return {
    key: `${o.metadata.namespace}/${o.metadata.name}`,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : '',
    schedulerName: typeof spec.schedulerName === 'string' ? spec.schedulerName : 'default-scheduler',
    cpuMillis: Math.max(main.cpu, init.cpu),
    memoryBytes: Math.max(main.memory, init.memory),
    nodeSelector: isRecord(spec.nodeSelector) ? Object.entries(spec.nodeSelector as Record<string, string>) : [],
    affinityTerms: terms,
    tolerations: (Array.isArray(spec.tolerations) ? spec.tolerations.filter(isRecord) : []) as Toleration[],
    ownerUid: owner?.uid ?? '',
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    gated: Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0,
    deleting: !!o.metadata.deletionTimestamp,
    terminal: status.phase === 'Succeeded' || status.phase === 'Failed',
    unschedulableMessage: typeof schedCond?.message === 'string' ? schedCond.message : '',
  };
}

export function toSchedNode(o: KubeObject): SchedNode {
  const spec = isRecord(o.spec) ? o.spec : {};
  const status = isRecord(o.status) ? o.status : {};
  const alloc = isRecord(status.allocatable) ? status.allocatable : {};
  return {
    name: o.metadata.name ?? '',
    allocCpuMillis: cpuMillis(alloc.cpu) ?? 0,
    allocMemoryBytes: parseQuantity(alloc.memory) ?? 0,
    allocPods: parseQuantity(alloc.pods) ?? 110,
    labels: o.metadata.labels ?? {},
    taints: (Array.isArray(spec.taints) ? spec.taints.filter(isRecord) : []) as unknown as Taint[],
    unschedulable: spec.unschedulable === true,
  };
}

/** Whether a pending pod's change touches what scheduling looks at. */
export function schedulingChanged(a: SchedPod, b: SchedPod): boolean {
  return (
    a.gated !== b.gated ||
    a.priority !== b.priority ||
    a.cpuMillis !== b.cpuMillis ||
    a.memoryBytes !== b.memoryBytes ||
    JSON.stringify(a.tolerations) !== JSON.stringify(b.tolerations) ||
    JSON.stringify(a.nodeSelector) !== JSON.stringify(b.nodeSelector) ||
    JSON.stringify(a.affinityTerms) !== JSON.stringify(b.affinityTerms)
  );
}
