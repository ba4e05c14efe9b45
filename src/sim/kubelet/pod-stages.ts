import { parseDuration } from '../../util/duration.js';

/**
 * A simulated pod's life on its node as data, after kwok's Stage objects: each stage says
 * which pods it applies to (their lifecycle state, labels, annotations), how long after the
 * pod entered that state it fires (a delay with jitter), and what the kubelet then does (the
 * status it writes, the events it records, or deleting the pod) and the state the pod moves
 * to. Several stages matching the same pod compete by weight, so a failure rate is a stage
 * with a small weight beside the usual one. A profile is a list of stages; one engine runs
 * them for every pod.
 *
 * States are free names, except the ones the engine enters itself: `bound` (the kubelet
 * first sees the pod on its node), `running` (a pod already Running when the sim starts on
 * kept data) and `terminating` (the pod got a deletionTimestamp).
 */

export type ConditionType = 'PodReadyToStartContainers' | 'Initialized' | 'ContainersReady' | 'Ready';

/** What a stage writes through pods/<name>/status. */
export interface StageStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Conditions this stage sets (PodScheduled is the binding's); a False one gets reason ContainersNotReady unless said. */
  conditions?: Partial<Record<ConditionType, 'True' | 'False'>>;
  /** The state every container reports. */
  containers?: {
    state: 'waiting' | 'running' | 'terminated';
    reason?: string;
    message?: string;
    exitCode?: number;
    ready?: boolean;
  };
  /** The pod-level reason and message (as an eviction writes). */
  reason?: string;
  message?: string;
}

export interface StageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  /** `{{container}}` and `{{image}}` are replaced (the event is written once per container). */
  message: string;
}

export interface StageDelay {
  /** `800ms`, `2s`, or a number of seconds. @default 0 */
  duration?: string | number;
  /** The delay is uniform in duration ± jitter. @default 0 */
  jitter?: string | number;
  /** A pod annotation whose duration replaces `duration` for that pod, plus `offset` (never below 0). */
  durationFrom?: { annotation: string; offset?: string | number };
  /** A pod annotation whose duration replaces `jitter` for that pod. */
  jitterFrom?: { annotation: string };
  /** The delay is at most the pod's deletion grace period (a stopping container is killed then). */
  capToGracePeriod?: boolean;
}

export interface PodStageSpec {
  name: string;
  selector: {
    /** The lifecycle state the pod must be in. */
    state: string;
    matchLabels?: Record<string, string>;
    matchAnnotations?: Record<string, string>;
  };
  /** Among the stages matching a pod, one is drawn with probability weight / sum of weights. @default 1 */
  weight?: number;
  delay?: StageDelay;
  next: {
    /** The state the pod moves to (ignored with `delete`). */
    state?: string;
    status?: StageStatus;
    events?: StageEvent[];
    /** The kubelet removes the pod (a delete with grace period 0). */
    delete?: boolean;
  };
}

/** Per-pod overrides of the startup delay, like kwok's annotations. */
export const STARTUP_DELAY_ANNOTATION = 'kbench.io/startup-delay';
export const STARTUP_JITTER_ANNOTATION = 'kbench.io/startup-jitter';

/** The settings the default profile takes (the sim's --pod-* and --kubelet-events flags). */
export interface DefaultProfileParams {
  startupDelayMs: number;
  startupJitterMs: number;
  terminationDelayMs: number;
  kubeletEvents: boolean;
}

const ms = (n: number): string => `${n}ms`;

/**
 * The default profile: accepted (Pending, ContainerCreating) shortly after binding, Running
 * after the startup delay (images pre-pulled, no probes: ready at once), and on deletion
 * stopped within the grace period, then removed.
 */
export function defaultPodStages(p: DefaultProfileParams): PodStageSpec[] {
  // Accepting takes a moment of the startup delay; starting the containers takes the rest.
  const acceptMs = Math.min(50, p.startupDelayMs / 4);
  return [
    {
      name: 'accept',
      selector: { state: 'bound' },
      delay: { duration: ms(acceptMs) },
      next: {
        state: 'creating',
        status: {
          phase: 'Pending',
          conditions: { PodReadyToStartContainers: 'False', Initialized: 'True', Ready: 'False', ContainersReady: 'False' },
          containers: { state: 'waiting', reason: 'ContainerCreating' },
        },
      },
    },
    {
      name: 'run',
      selector: { state: 'creating' },
      delay: {
        duration: ms(p.startupDelayMs - acceptMs),
        jitter: ms(p.startupJitterMs),
        durationFrom: { annotation: STARTUP_DELAY_ANNOTATION, offset: ms(-acceptMs) },
        jitterFrom: { annotation: STARTUP_JITTER_ANNOTATION },
      },
      next: {
        state: 'running',
        status: {
          phase: 'Running',
          conditions: { PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True' },
          containers: { state: 'running', ready: true },
        },
        events: p.kubeletEvents
          ? [
              { type: 'Normal', reason: 'Pulled', message: 'Container image "{{image}}" already present on machine' },
              { type: 'Normal', reason: 'Created', message: 'Created container: {{container}}' },
              { type: 'Normal', reason: 'Started', message: 'Started container {{container}}' },
            ]
          : undefined,
      },
    },
    {
      name: 'terminate',
      selector: { state: 'terminating' },
      delay: { duration: ms(p.terminationDelayMs), capToGracePeriod: true },
      next: { delete: true },
    },
  ];
}

/**
 * Reasons a stage list cannot run, each naming the stage and field (empty when it can).
 * Checked when the sim starts, before anything runs.
 */
export function podStageErrors(stages: unknown): string[] {
  if (!Array.isArray(stages)) return ['podStages must be a list of stages'];
  const errors: string[] = [];
  const names = new Set<string>();
  stages.forEach((s: unknown, i) => {
    const at = `podStages[${i}]`;
    if (typeof s !== 'object' || s === null) {
      errors.push(`${at}: must be an object`);
      return;
    }
    const st = s as Partial<PodStageSpec>;
    if (typeof st.name !== 'string' || st.name === '') errors.push(`${at}.name: required`);
    else if (names.has(st.name)) errors.push(`${at}.name: "${st.name}" is used twice`);
    else names.add(st.name);
    if (typeof st.selector?.state !== 'string' || st.selector.state === '') errors.push(`${at}.selector.state: required`);
    if (st.weight !== undefined && (typeof st.weight !== 'number' || !(st.weight > 0))) errors.push(`${at}.weight: must be a number above 0`);
    for (const f of ['duration', 'jitter'] as const) {
      const v = st.delay?.[f];
      if (v === undefined) continue;
      try {
        parseDuration(v);
      } catch (e) {
        errors.push(`${at}.delay.${f}: ${(e as Error).message}`);
      }
    }
    const next = st.next;
    if (typeof next !== 'object' || next === null) errors.push(`${at}.next: required`);
    else if (!next.delete && (typeof next.state !== 'string' || next.state === '')) errors.push(`${at}.next.state: required unless next.delete is true`);
    else if (next.status && !['Pending', 'Running', 'Succeeded', 'Failed'].includes(next.status.phase)) {
      errors.push(`${at}.next.status.phase: must be Pending, Running, Succeeded or Failed`);
    }
  });
  return errors;
}

/** A duration that may be negative (an offset): "-50ms". */
export function signedDurationMs(v: string | number): number {
  if (typeof v === 'string' && v.trim().startsWith('-')) return -parseDuration(v.trim().slice(1));
  return parseDuration(v);
}
