import type { ServingCerts } from '../tls.js';
import type { SchedNode, SchedPod } from './sched-types.js';

/** What the scheduler's thread is started with. */
export interface SchedulerThreadData {
  /** Seeds the thread's tie-breaking generator. */
  seed: number;
  /** Its /metrics endpoint: where it listens, its certificate, the bearer token it wants. */
  host: string;
  /** 0: any free port; a restarted thread takes the port its predecessor had. */
  port: number;
  certs: ServingCerts;
  token: string;
}

/** A pod as the scheduler's requests name it. */
export interface PodRef {
  key: string;
  namespace: string;
  name: string;
  uid: string;
}

/** A failed request, as the thread rebuilds it into a LocalApiError. */
export interface ApiFailure {
  code: number;
  reason: string;
  message: string;
}

/** From the sim's main thread (informers, API calls) to the scheduler's thread (queue, cache, cycles). */
export type ToScheduler =
  | { t: 'node'; node: SchedNode }
  | { t: 'nodeDeleted'; name: string }
  // `old` only for a pod not yet bound: whether its change matters to scheduling.
  | { t: 'pod'; pod: SchedPod; old?: SchedPod }
  | { t: 'podDeleted'; key: string }
  | { t: 'bound'; id: number; failure?: ApiFailure }
  | { t: 'metrics'; id: number }
  | { t: 'stop' };

/** From the scheduler's thread back to the main thread. */
export type FromScheduler =
  | { t: 'ready'; metricsUrl: string }
  | { t: 'failed'; message: string }
  | { t: 'log'; line: string }
  | { t: 'bind'; id: number; pod: PodRef; node: string }
  | { t: 'scheduled'; pod: PodRef; node: string; now: number }
  | { t: 'unschedulable'; pod: PodRef; message: string; now: number }
  | { t: 'metrics'; id: number; contentType: string; body: string };

/** Only the naming fields (the core hands over whole SchedPods, which would all be cloned). */
export function podRef(p: PodRef): PodRef {
  return { key: p.key, namespace: p.namespace, name: p.name, uid: p.uid };
}
