import { rfc3339Seconds } from '../apiserver/types.js';
import type { ConditionType, StageStatus } from './pod-stages.js';

/** What the kubelet keeps of a pod: enough to write its status, nothing more. */
export interface KubeletPod {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  node: string;
  containers: { name: string; image: string }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  qosClass: string;
  /** The lifecycle state (a stage selector's `state`). */
  state: string;
  /** When the kubelet first saw the pod bound (ms). */
  boundAt: number;
  hostIp: string;
  podIp?: string;
  containerIds: string[];
  graceSeconds?: number;
  /** When the first status was written (status.startTime). */
  startedAt?: number;
  /** When the containers last started running. */
  runningSince?: number;
  /** Each condition's status and when it last changed: lastTransitionTime moves only with the status. */
  conditions: Map<ConditionType | 'PodScheduled', { status: string; at: number; reason?: string }>;
}

/** The order the kubelet lists pod conditions in. */
const CONDITION_ORDER: readonly (ConditionType | 'PodScheduled')[] = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

/** docker.io/library/nginx:1.25 for nginx:1.25, as container runtimes report it. */
export function qualifiedImage(image: string): string {
  const [first] = image.split('/');
  const hasRegistry = image.includes('/') && (first!.includes('.') || first!.includes(':') || first === 'localhost');
  let ref = hasRegistry ? image : image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
  if (!/[:@][^/]*$/.test(ref)) ref += ':latest';
  return ref;
}

function imageId(image: string): string {
  const repo = qualifiedImage(image).replace(/:[^/:]+$/, '');
  let h = 0;
  for (const c of image) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `${repo}@sha256:${h.toString(16).padStart(8, '0').repeat(8)}`;
}

/** Whether the containers have been tried: the sandbox (and its IP) exists by then. */
function sandboxReady(s: StageStatus): boolean {
  const c = s.containers;
  return s.phase !== 'Pending' || (c !== undefined && !(c.state === 'waiting' && (c.reason ?? 'ContainerCreating') === 'ContainerCreating'));
}

function containerStatus(p: KubeletPod, s: StageStatus, i: number, now: number): Record<string, unknown> {
  const c = p.containers[i]!;
  const spec = s.containers ?? { state: 'waiting', reason: 'ContainerCreating' };
  const base: Record<string, unknown> = { name: c.name, image: qualifiedImage(c.image) };
  if (spec.state === 'waiting') {
    const waiting: Record<string, unknown> = { reason: spec.reason ?? 'ContainerCreating' };
    if (spec.message) waiting.message = spec.message.replaceAll('{{image}}', c.image).replaceAll('{{container}}', c.name);
    return { ...base, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting }, lastState: {} };
  }
  const containerID = `containerd://${p.containerIds[i]}`;
  if (spec.state === 'running') {
    return {
      ...base,
      imageID: imageId(c.image),
      containerID,
      ready: spec.ready ?? true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: rfc3339Seconds(p.runningSince ?? now) } },
      lastState: {},
    };
  }
  const terminated: Record<string, unknown> = { exitCode: spec.exitCode ?? 0, reason: spec.reason ?? (spec.exitCode ? 'Error' : 'Completed') };
  if (spec.message) terminated.message = spec.message;
  terminated.startedAt = rfc3339Seconds(p.runningSince ?? now);
  terminated.finishedAt = rfc3339Seconds(now);
  terminated.containerID = containerID;
  return { ...base, imageID: imageId(c.image), containerID, ready: false, started: false, restartCount: 0, state: { terminated }, lastState: {} };
}

/**
 * The status a stage writes for a pod at `now` (updating the pod's condition history), in
 * the shape and field order the kubelet writes.
 */
export function stageStatus(p: KubeletPod, s: StageStatus, now: number): Record<string, unknown> {
  p.startedAt ??= now;
  if (s.containers?.state === 'running' && p.runningSince === undefined) p.runningSince = now;
  for (const [type, status] of Object.entries(s.conditions ?? {}) as [ConditionType, 'True' | 'False'][]) {
    const prev = p.conditions.get(type);
    const reason = status === 'False' && (type === 'Ready' || type === 'ContainersReady') ? 'ContainersNotReady' : undefined;
    if (!prev || prev.status !== status) p.conditions.set(type, { status, at: now, reason });
  }
  if (!p.conditions.has('PodScheduled')) p.conditions.set('PodScheduled', { status: 'True', at: p.boundAt });
  const conditions = CONDITION_ORDER.filter((t) => p.conditions.has(t)).map((type) => {
    const c = p.conditions.get(type)!;
    const out: Record<string, unknown> = { type, status: c.status, lastProbeTime: null, lastTransitionTime: rfc3339Seconds(c.at) };
    if (c.reason) out.reason = c.reason;
    return out;
  });
  const out: Record<string, unknown> = { phase: s.phase };
  if (s.reason) out.reason = s.reason;
  if (s.message) out.message = s.message;
  out.conditions = conditions;
  out.hostIP = p.hostIp;
  out.hostIPs = [{ ip: p.hostIp }];
  if (p.podIp && sandboxReady(s)) {
    out.podIP = p.podIp;
    out.podIPs = [{ ip: p.podIp }];
  }
  out.startTime = rfc3339Seconds(p.startedAt);
  out.qosClass = p.qosClass;
  out.containerStatuses = p.containers.map((_, i) => containerStatus(p, s, i, now));
  return out;
}
