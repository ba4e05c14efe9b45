import type { Counter, Gauge, GaugeChild, Histogram, MetricsRegistry } from '../../metrics-registry.js';

/** Bucket bounds of the real apiserver_flowcontrol_* histograms (pkg/util/flowcontrol/metrics). */
export const APF_WAIT_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];
export const APF_QUEUE_LENGTH_BUCKETS = [0, 10, 25, 50, 100, 250, 500, 1000];

/**
 * API Priority and Fairness metrics with the real names, labels and buckets (labels in the
 * order the real exposition prints them, sorted by name).
 */
export class ApfMetrics {
  readonly rejected: Counter;
  readonly dispatched: Counter;
  readonly inqueue: Gauge;
  readonly executing: Gauge;
  readonly executingSeats: Gauge;
  readonly waitDuration: Histogram;
  readonly queueLength: Histogram;
  readonly nominalLimit: Gauge;
  readonly lowerLimit: Gauge;
  readonly upperLimit: Gauge;
  readonly currentLimit: Gauge;

  constructor(r: MetricsRegistry) {
    const fsPl = ['flow_schema', 'priority_level'];
    this.rejected = r.counter('apiserver_flowcontrol_rejected_requests_total', 'Number of requests rejected by API Priority and Fairness subsystem', [...fsPl, 'reason']);
    this.dispatched = r.counter('apiserver_flowcontrol_dispatched_requests_total', 'Number of requests executed by API Priority and Fairness subsystem', fsPl);
    this.inqueue = r.gauge('apiserver_flowcontrol_current_inqueue_requests', 'Number of requests currently pending in queues of the API Priority and Fairness subsystem', fsPl);
    this.executing = r.gauge(
      'apiserver_flowcontrol_current_executing_requests',
      'Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem',
      fsPl,
    );
    this.executingSeats = r.gauge(
      'apiserver_flowcontrol_current_executing_seats',
      'Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem',
      fsPl,
    );
    this.waitDuration = r.histogram('apiserver_flowcontrol_request_wait_duration_seconds', 'Length of time a request spent waiting in its queue', ['execute', ...fsPl], APF_WAIT_BUCKETS);
    this.queueLength = r.histogram(
      'apiserver_flowcontrol_request_queue_length_after_enqueue',
      'Length of queue in the API Priority and Fairness subsystem, as seen by each request after it is enqueued',
      fsPl,
      APF_QUEUE_LENGTH_BUCKETS,
    );
    this.nominalLimit = r.gauge('apiserver_flowcontrol_nominal_limit_seats', 'Nominal number of execution seats configured for each priority level', ['priority_level']);
    this.lowerLimit = r.gauge('apiserver_flowcontrol_lower_limit_seats', 'Configured lower bound on number of execution seats available to each priority level', ['priority_level']);
    this.upperLimit = r.gauge('apiserver_flowcontrol_upper_limit_seats', 'Configured upper bound on number of execution seats available to each priority level', ['priority_level']);
    this.currentLimit = r.gauge('apiserver_flowcontrol_current_limit_seats', 'current derived number of execution seats available to each priority level', ['priority_level']);
  }

  /** The executing gauges of one flow schema and level, bound once. */
  executingOf(flowSchema: string, level: string): [GaugeChild, GaugeChild] {
    return [this.executing.labels(flowSchema, level), this.executingSeats.labels(flowSchema, level)];
  }
}
