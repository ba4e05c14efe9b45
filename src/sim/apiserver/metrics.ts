import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The kube-apiserver metrics kbench's collectors read, with the real names, labels and
 * bucket boundaries (k8s.io/apiserver/pkg/endpoints/metrics, pkg/storage/etcd3/metrics), so
 * a collector works the same against the sim and a real cluster.
 */
export const REQUEST_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];
/** The SLI histogram starts at 50 ms. */
export const SLI_BUCKETS = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
export const ETCD_REQUEST_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

export interface RequestLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

export class ApiserverMetrics {
  readonly registry = new Registry();
  readonly #duration: Histogram<string>;
  readonly #sli: Histogram<string>;
  readonly #total: Counter<string>;
  readonly #inflight: Gauge<string>;
  readonly #longrunning: Gauge<string>;
  readonly #storageObjects: Gauge<string>;
  readonly #etcd: Histogram<string>;
  readonly #watchEvents: Counter<string>;
  readonly #dbSize: Gauge<string>;

  constructor() {
    const registers = [this.registry];
    this.#duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.#sli = new Histogram({
      name: 'apiserver_request_sli_duration_seconds',
      help: 'Response latency distribution (not counting webhook duration and priority & fairness queue wait times) in seconds for each verb, group, version, resource, subresource, scope and component.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: SLI_BUCKETS,
      registers,
    });
    this.#total = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
      registers,
    });
    this.#inflight = new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers,
    });
    this.#longrunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      registers,
    });
    this.#storageObjects = new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind.',
      labelNames: ['resource'],
      registers,
    });
    this.#etcd = new Histogram({
      name: 'etcd_request_duration_seconds',
      help: 'Etcd request latency in seconds for each operation and object type.',
      labelNames: ['operation', 'type'],
      buckets: ETCD_REQUEST_BUCKETS,
      registers,
    });
    this.#watchEvents = new Counter({
      name: 'apiserver_watch_events_total',
      help: 'Number of events sent in watch clients',
      labelNames: ['group', 'version', 'resource'],
      registers,
    });
    this.#dbSize = new Gauge({
      name: 'apiserver_storage_db_total_size_in_bytes',
      help: 'Total size of the storage database file physically allocated in bytes.',
      labelNames: ['endpoint'],
      registers,
    });
    this.#inflight.set({ request_kind: 'readOnly' }, 0);
    this.#inflight.set({ request_kind: 'mutating' }, 0);
  }

  observeRequest(l: RequestLabels, code: number, seconds: number, dryRun: boolean): void {
    const dry_run = dryRun ? 'All' : '';
    this.#duration.observe({ ...l, dry_run }, seconds);
    // The SLI histogram leaves out long-running requests, as the real one does.
    if (l.verb !== 'WATCH') this.#sli.observe({ ...l }, seconds);
    this.#total.inc({ ...l, dry_run, code: String(code) });
  }

  countRequest(l: RequestLabels, code: number): void {
    this.#total.inc({ ...l, dry_run: '', code: String(code) });
  }

  setInflight(kind: 'readOnly' | 'mutating', n: number): void {
    this.#inflight.set({ request_kind: kind }, n);
  }

  longRunning(l: RequestLabels, delta: number): void {
    this.#longrunning.inc({ ...l }, delta);
  }

  setStorageObjects(resource: string, n: number): void {
    this.#storageObjects.set({ resource }, n);
  }

  setDbSize(endpoint: string, bytes: number): void {
    this.#dbSize.set({ endpoint }, bytes);
  }

  observeEtcd(operation: string, type: string, seconds: number): void {
    this.#etcd.observe({ operation, type }, seconds);
  }

  watchEvent(group: string, version: string, resource: string): void {
    this.#watchEvents.inc({ group, version, resource });
  }
}
