import { type Counter, type Gauge, type Histogram, type HistogramChild, MetricsRegistry } from '../metrics-registry.js';
import type { QueueName } from './scheduling-queue.js';

function exponential(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start * factor ** i).toPrecision(12)));
}

/**
 * kube-scheduler's metrics with the real names, labels and buckets
 * (pkg/scheduler/metrics): pending pods per queue, attempts by result, attempt latency and
 * the pod scheduling SLI (queue entry to bound, across attempts).
 */
export class SchedulerMetrics {
  readonly registry = new MetricsRegistry();
  readonly pending: Gauge;
  readonly attempts: Counter;
  readonly attemptDuration: Histogram;
  readonly sli: Histogram;
  readonly podAttempts: HistogramChild;
  readonly incoming: Counter;

  constructor(pendingCounts: () => Record<QueueName, number>) {
    const r = this.registry;
    this.pending = r.gauge(
      'scheduler_pending_pods',
      'Number of pending pods, by the queue type. \'active\' means number of pods in activeQ; \'backoff\' means number of pods in backoffQ; \'unschedulable\' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; \'gated\' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.',
      ['queue'],
    );
    this.attempts = r.counter(
      'scheduler_schedule_attempts_total',
      "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
      ['result', 'profile'],
    );
    this.attemptDuration = r.histogram(
      'scheduler_scheduling_attempt_duration_seconds',
      'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      ['result', 'profile'],
      exponential(0.001, 2, 15),
    );
    this.sli = r.histogram(
      'scheduler_pod_scheduling_sli_duration_seconds',
      'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.',
      ['attempts'],
      exponential(0.01, 2, 20),
    );
    this.podAttempts = r
      .histogram('scheduler_pod_scheduling_attempts', 'Number of attempts to successfully schedule a pod.', [], exponential(1, 2, 5))
      .labels();
    this.incoming = r.counter('scheduler_queue_incoming_pods_total', 'Number of pods added to scheduling queues by event and queue type.', ['event', 'queue']);
    for (const q of ['active', 'backoff', 'unschedulable', 'gated'] as const) this.pending.labels(q).set(0);
    r.onScrape(() => {
      const c = pendingCounts();
      for (const q of ['active', 'backoff', 'unschedulable', 'gated'] as const) this.pending.labels(q).set(c[q]);
    });
  }
}
