import { rfc3339Seconds } from '../apiserver/types.js';

/**
 * A simulated pod's life on its node, as data (after kwok's Stages): each stage says which
 * state it leaves, how long after entering that state it fires, and what the kubelet then
 * writes. One engine (PodLifecycle) runs them for every pod.
 */

export type PodState = 'bound' | 'creating' | 'running' | 'terminating';

export interface SimContainer {
  name: string;
  image: string;
}

/** What the kubelet keeps of a pod: enough to write its status, nothing more. */
export interface PodRecord {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  node: string;
  containers: SimContainer[];
  qosClass: string;
  state: PodState;
  /** When the kubelet first saw the pod bound (ms). */
  boundAt: number;
  /** Total startup delay drawn for this pod (ms). */
  startupMs: number;
  podIp?: string;
  hostIp: string;
  startedAt?: number;
  containerIds: string[];
  graceSeconds?: number;
  timer?: NodeJS.Timeout;
}

export interface StageContext {
  now: number;
  terminationDelayMs: number;
}

export interface PodStage {
  name: string;
  from: PodState;
  to: PodState | 'deleted';
  /** Milliseconds after entering `from` that the stage fires. */
  delay(p: PodRecord, ctx: StageContext): number;
  /** The status the kubelet writes (through pods/<name>/status), if any. */
  status?(p: PodRecord, ctx: StageContext): Record<string, unknown>;
  /** Kubelet Events written when the stage fires (with --kubelet-events). */
  events?(p: PodRecord): { reason: string; message: string; container: string }[];
}

function condition(type: string, status: string, at: number, reason?: string): Record<string, unknown> {
  const c: Record<string, unknown> = { type, status, lastProbeTime: null, lastTransitionTime: rfc3339Seconds(at) };
  if (reason) c.reason = reason;
  return c;
}

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

function podIps(p: PodRecord): Record<string, unknown> {
  return p.podIp ? { podIP: p.podIp, podIPs: [{ ip: p.podIp }] } : {};
}

export const DEFAULT_POD_STAGES: readonly PodStage[] = [
  {
    // The kubelet picks the pod up and starts creating its containers.
    name: 'accept',
    from: 'bound',
    to: 'creating',
    delay: (p) => Math.min(50, p.startupMs / 4),
    status: (p, ctx) => ({
      phase: 'Pending',
      conditions: [
        condition('PodReadyToStartContainers', 'False', ctx.now),
        condition('Initialized', 'True', ctx.now),
        condition('Ready', 'False', ctx.now, 'ContainersNotReady'),
        condition('ContainersReady', 'False', ctx.now, 'ContainersNotReady'),
        condition('PodScheduled', 'True', p.boundAt),
      ],
      hostIP: p.hostIp,
      hostIPs: [{ ip: p.hostIp }],
      startTime: rfc3339Seconds(ctx.now),
      qosClass: p.qosClass,
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        image: qualifiedImage(c.image),
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      })),
    }),
  },
  {
    // Containers started (images are pre-pulled); no probes, so ready at once.
    name: 'run',
    from: 'creating',
    to: 'running',
    delay: (p) => p.startupMs - Math.min(50, p.startupMs / 4),
    status: (p, ctx) => {
      const started = rfc3339Seconds(ctx.now);
      return {
        phase: 'Running',
        conditions: [
          condition('PodReadyToStartContainers', 'True', ctx.now),
          condition('Initialized', 'True', p.boundAt),
          condition('Ready', 'True', ctx.now),
          condition('ContainersReady', 'True', ctx.now),
          condition('PodScheduled', 'True', p.boundAt),
        ],
        hostIP: p.hostIp,
        hostIPs: [{ ip: p.hostIp }],
        ...podIps(p),
        startTime: rfc3339Seconds(p.startedAt ?? ctx.now),
        qosClass: p.qosClass,
        containerStatuses: p.containers.map((c, i) => ({
          name: c.name,
          image: qualifiedImage(c.image),
          imageID: imageId(c.image),
          containerID: `containerd://${p.containerIds[i]}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: started } },
          lastState: {},
        })),
      };
    },
    events: (p) =>
      p.containers.flatMap((c) => [
        { reason: 'Pulled', message: `Container image "${c.image}" already present on machine`, container: c.name },
        { reason: 'Created', message: `Created container: ${c.name}`, container: c.name },
        { reason: 'Started', message: `Started container ${c.name}`, container: c.name },
      ]),
  },
  {
    // A deleted pod: containers stop within the grace period, then the kubelet removes it.
    name: 'terminate',
    from: 'terminating',
    to: 'deleted',
    delay: (p, ctx) => Math.min(ctx.terminationDelayMs, (p.graceSeconds ?? 30) * 1000),
  },
];
