import {
  type CounterChild,
  type Counter,
  type Gauge,
  type Histogram,
  type HistogramChild,
  MetricsRegistry,
} from '../metrics-registry.js';

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
export const ETCD_REQUEST_BUCKETS = REQUEST_BUCKETS;
/** prometheus.ExponentialBuckets(1000, 10, 7) */
export const RESPONSE_SIZE_BUCKETS = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

export interface RequestLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

interface RequestChildren {
  duration: HistogramChild;
  sli: HistogramChild | undefined;
  /** Bound at the first read's response (a series appears only once it has a sample). */
  size: HistogramChild | undefined;
  total: Map<number, CounterChild>;
  values: string[];
}

export class ApiserverMetrics {
  readonly registry = new MetricsRegistry();
  readonly #duration: Histogram;
  readonly #sli: Histogram;
  readonly #total: Counter;
  readonly #inflight: Gauge;
  readonly #longrunning: Gauge;
  readonly #storageObjects: Gauge;
  readonly #etcd: Histogram;
  readonly #watchEvents: Counter;
  readonly #responseSizes: Histogram;
  readonly #dbSize: Gauge;
  readonly #children = new Map<string, RequestChildren>();
  readonly #etcdChildren = new Map<string, HistogramChild>();

  constructor() {
    const r = this.registry;
    this.#duration = r.histogram(
      'apiserver_request_duration_seconds',
      'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      REQUEST_BUCKETS,
    );
    this.#sli = r.histogram(
      'apiserver_request_sli_duration_seconds',
      'Response latency distribution (not counting webhook duration and priority & fairness queue wait times) in seconds for each verb, group, version, resource, subresource, scope and component.',
      ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      SLI_BUCKETS,
    );
    this.#total = r.counter(
      'apiserver_request_total',
      'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
    );
    this.#inflight = r.gauge(
      'apiserver_current_inflight_requests',
      'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      ['request_kind'],
    );
    this.#longrunning = r.gauge(
      'apiserver_longrunning_requests',
      'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.',
      ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
    );
    // 1.37's names and labels (apiserver_storage_objects{resource} became apiserver_resource_objects).
    this.#storageObjects = r.gauge(
      'apiserver_resource_objects',
      'Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
      ['group', 'resource'],
    );
    this.#etcd = r.histogram('etcd_request_duration_seconds', 'Etcd request latency in seconds for each operation and object type.', ['operation', 'group', 'resource'], ETCD_REQUEST_BUCKETS);
    this.#watchEvents = r.counter('apiserver_watch_events_total', 'Number of events sent in watch clients', ['group', 'version', 'resource']);
    this.#responseSizes = r.histogram(
      'apiserver_response_sizes',
      'Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.',
      ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      RESPONSE_SIZE_BUCKETS,
    );
    this.#dbSize = r.gauge('apiserver_storage_db_total_size_in_bytes', 'Total size of the storage database file physically allocated in bytes.', ['endpoint']);
    this.#inflight.labels('readOnly').set(0);
    this.#inflight.labels('mutating').set(0);
  }

  #childrenFor(l: RequestLabels, dryRun: boolean): RequestChildren {
    const key = `${l.verb}|${l.group}|${l.version}|${l.resource}|${l.subresource}|${l.scope}|${l.component}|${dryRun ? 1 : 0}`;
    let c = this.#children.get(key);
    if (!c) {
      const dryRunValue = dryRun ? 'All' : '';
      c = {
        duration: this.#duration.labels(l.verb, dryRunValue, l.group, l.version, l.resource, l.subresource, l.scope, l.component),
        // The SLI histogram leaves out long-running requests, as the real one does.
        sli: l.verb === 'WATCH' || l.verb === 'CONNECT' ? undefined : this.#sli.labels(l.verb, l.group, l.version, l.resource, l.subresource, l.scope, l.component),
        size: undefined,
        total: new Map(),
        values: [l.verb, dryRunValue, l.group, l.version, l.resource, l.subresource, l.scope, l.component],
      };
      this.#children.set(key, c);
    }
    return c;
  }

  /** `sliSeconds`: the duration without time queued by priority and fairness (the SLI's). */
  observeRequest(l: RequestLabels, code: number, seconds: number, dryRun: boolean, sliSeconds = seconds): void {
    const c = this.#childrenFor(l, dryRun);
    c.duration.observe(seconds);
    c.sli?.observe(sliSeconds);
    this.#count(c, code);
  }

  /**
   * A request the inflight filter turned away: counted with its code only, as the real
   * RecordDroppedRequest does; it never reaches the latency histograms.
   */
  countDropped(l: RequestLabels, code: number, dryRun: boolean): void {
    this.#count(this.#childrenFor(l, dryRun), code);
  }

  #count(c: RequestChildren, code: number): void {
    let total = c.total.get(code);
    if (!total) c.total.set(code, (total = this.#total.labels(...c.values, String(code))));
    total.inc();
  }

  setInflight(kind: 'readOnly' | 'mutating', n: number): void {
    this.#inflight.labels(kind).set(n);
  }

  longRunning(l: RequestLabels, delta: number): void {
    this.#longrunning.labels(l.verb, l.group, l.version, l.resource, l.subresource, l.scope, l.component).inc(delta);
  }

  setStorageObjects(group: string, resource: string, n: number): void {
    this.#storageObjects.labels(group, resource).set(n);
  }

  /**
   * Read requests only, as the real MonitorRequest; the length of the text stands in for its
   * bytes. Through the request's cached children: no label lookup per request.
   */
  observeResponseSize(l: RequestLabels, size: number, dryRun: boolean): void {
    if (l.verb !== 'GET' && l.verb !== 'LIST') return;
    const c = this.#childrenFor(l, dryRun);
    c.size ??= this.#responseSizes.labels(l.verb, l.group, l.version, l.resource, l.subresource, l.scope, l.component);
    c.size.observe(size);
  }

  setDbSize(endpoint: string, bytes: number): void {
    this.#dbSize.labels(endpoint).set(bytes);
  }

  observeEtcd(operation: string, group: string, resource: string, seconds: number): void {
    const key = `${operation}|${group}|${resource}`;
    let child = this.#etcdChildren.get(key);
    if (!child) this.#etcdChildren.set(key, (child = this.#etcd.labels(operation, group, resource)));
    child.observe(seconds);
  }

  /** The counter of events sent to watchers of one kind; bind it once per watch. */
  watchEventCounter(group: string, version: string, resource: string): CounterChild {
    return this.#watchEvents.labels(group, version, resource);
  }
}
