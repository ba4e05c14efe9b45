import { SIM_DEFAULTS } from '../options.js';
import type { StorageBackend } from '../storage/backend.js';
import { type ApiRequest, type ApiResponse, jsonResponse, type StreamSink } from './api-types.js';
import { Cacher } from './cacher.js';
import { WatchHub } from './watch-hub.js';
import type { ApiContext, ApiCoreOptions, ProxyTarget, ResourceRequest } from './context.js';
import { nonResourceResponse } from './non-resource.js';
import { ApiserverMetrics, type RequestLabels } from './metrics.js';
import { ObjectStore } from './object-store.js';
import { Registry } from './registry.js';
import { storagePrefix } from './storage-keys.js';
import { isLongRunning, metricScope, metricVerb, type ResourceRequestInfo, requestInfo } from './request-info.js';
import type { ResourceDef, StrategyContext, Subresource } from './resource-def.js';
import { handleGet, handleList } from './rest-read.js';
import { HttpWatchEmitter, runWatch, type WatchEmitter, watchOptions } from './rest-watch.js';
import { handleCreate } from './rest-create.js';
import { handleDelete, handleDeleteCollection } from './rest-delete.js';
import { handlePatch, handleUpdate } from './rest-update.js';
import { Random, seedFrom } from '../../util/random.js';
import { ApiError, errors } from './status.js';
import { DEFAULT_FLOW_SCHEMAS, DEFAULT_PRIORITY_LEVELS } from './flowcontrol/bootstrap.js';
import { FlowControl, type FlowOutcome } from './flowcontrol/flow-control.js';
import { storeFlowControlObjects } from './resources/flowcontrol.js';
import { ANONYMOUS, type UserInfo } from './user-info.js';

/** How long a request may wait in a priority level's queue: a quarter of the 60 s request timeout. */
const APF_WAIT_LIMIT_MS = 15_000;

/**
 * A refusal by the max-inflight or priority-and-fairness filter. The real filters answer with
 * Go's http.Error before any REST handler runs: plain text, not a Status object.
 */
function tooManyRequests(retryAfterSeconds: number): ApiResponse {
  return {
    status: 429,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Retry-After': String(retryAfterSeconds) },
    body: 'Too many requests, please try again later.\n',
  };
}

export interface ApiServerOptions extends ApiCoreOptions {
  /**
   * --max-requests-inflight: with API Priority and Fairness, part of the server's total
   * concurrency; without it, concurrent non-mutating requests before 429 (watches exempt).
   */
  maxRequestsInflight: number;
  /** --max-mutating-requests-inflight. */
  maxMutatingRequestsInflight: number;
  /** --enable-priority-and-fairness: classify and queue requests (APF) instead of the legacy max-inflight limits. */
  enablePriorityAndFairness: boolean;
  /** The watch cache keeps events this young for watches that resume (ms). */
  watchHistoryWindowMs: number;
  /** ...and at most this many per resource. */
  watchHistoryMax: number;
  /** host:port clients reach the server at (reported by GET /api). */
  serverAddress: string;
  now?: () => number;
  /** Seed of the apiserver's random choices (generated names, admission retries). @default 1 */
  seed?: number;
  /** Called with unexpected errors (500s) for logging. */
  onInternalError?: (err: unknown) => void;
  /** Added to every request but watches, holding its inflight seat (sim.apiLatency: a slower apiserver or storage). */
  addedLatencyMs?: number;
}

// The sim's defaults (options.ts) are the one place these are set.
export const DEFAULT_API_OPTIONS: Omit<ApiServerOptions, 'serverAddress'> = {
  maxRequestsInflight: SIM_DEFAULTS.maxRequestsInflight,
  maxMutatingRequestsInflight: SIM_DEFAULTS.maxMutatingRequestsInflight,
  enablePriorityAndFairness: SIM_DEFAULTS.enablePriorityAndFairness,
  watchHistoryWindowMs: SIM_DEFAULTS.watchHistoryWindowMs,
  watchHistoryMax: SIM_DEFAULTS.watchHistoryMax,
  bookmarkIntervalMs: SIM_DEFAULTS.bookmarkIntervalMs,
  minRequestTimeoutSeconds: SIM_DEFAULTS.minRequestTimeoutSeconds,
  tooLargeRvWaitMs: 3000,
};


export interface Backends {
  main: StorageBackend;
  /** Events in their own store (--events-etcd), as large clusters do. */
  events?: StorageBackend;
}

/**
 * The simulated kube-apiserver's core: routes a request to discovery, health, metrics or
 * the REST handlers of a resource, enforces the inflight limits and records the real
 * apiserver's request metrics. Transport-independent: HTTPS and in-process clients both
 * come through `handle`.
 */
export class ApiServer implements ApiContext {
  readonly registry = new Registry();
  readonly metrics = new ApiserverMetrics();
  readonly options: ApiServerOptions;
  readonly strategy: StrategyContext;
  readonly #stores = new Map<string, ObjectStore>();
  readonly #backends: Backends;
  readonly #hubs: WatchHub[];
  readonly #now: () => number;
  #inflight = { readOnly: 0, mutating: 0 };
  #peak = { readOnly: 0, mutating: 0 };
  readonly #timers: NodeJS.Timeout[] = [];
  #ready = false;
  /** API Priority and Fairness, when on (and the server's concurrency is limited). */
  #flowControl: FlowControl | undefined;

  constructor(backends: Backends, options: ApiServerOptions) {
    this.#backends = backends;
    this.options = options;
    this.#now = options.now ?? Date.now;
    const random = new Random(seedFrom(`apiserver:${options.seed ?? 1}`));
    this.strategy = { now: this.#now, randomSuffix: (n) => randomSuffix(random, n), randomInt: (n) => random.int(n) };
    const hubs = new Map<StorageBackend, WatchHub>();
    for (const prefix of this.registry.storagePrefixes()) {
      const backend = prefix === '/registry/events/' && backends.events ? backends.events : backends.main;
      let hub = hubs.get(backend);
      if (!hub) hubs.set(backend, (hub = new WatchHub(backend, (err) => options.onInternalError?.(err))));
      const def = this.registry.resources.find((r) => storagePrefix(r) === prefix)!;
      const cacher = new Cacher(prefix, backend, {
        historyWindowMs: options.watchHistoryWindowMs,
        historyMax: options.watchHistoryMax,
        fieldsOf: (obj) => def.fields?.(obj) ?? {},
        now: this.#now,
      });
      hub.add(cacher);
      // etcd_request_duration_seconds{operation,group,resource}, as 1.37 labels it.
      this.#stores.set(
        prefix,
        new ObjectStore(backend, cacher, (op, s) => this.metrics.observeEtcd(op, def.group, def.resource, s)),
      );
    }
    this.#hubs = [...hubs.values()];
  }

  async start(): Promise<void> {
    await Promise.all([...this.#hubs].map((h) => h.start()));
    const uids = await storeFlowControlObjects(this);
    const serverConcurrencyLimit = this.options.maxRequestsInflight + this.options.maxMutatingRequestsInflight;
    // The real server refuses a total of 0 with APF on; the sim takes it as no limit at all.
    if (this.options.enablePriorityAndFairness && serverConcurrencyLimit > 0) {
      this.#flowControl = new FlowControl({
        serverConcurrencyLimit,
        waitLimitMs: APF_WAIT_LIMIT_MS,
        schemas: DEFAULT_FLOW_SCHEMAS,
        levels: DEFAULT_PRIORITY_LEVELS,
        uids,
        registry: this.metrics.registry,
        now: this.#now,
      });
      this.#flowControl.start();
    }
    // The inflight gauge reports the peak of the last second, as the real one does.
    const peaks = setInterval(() => {
      this.metrics.setInflight('readOnly', this.#peak.readOnly);
      this.metrics.setInflight('mutating', this.#peak.mutating);
      this.#peak = { ...this.#inflight };
    }, 1000);
    peaks.unref();
    const objects = setInterval(() => this.#refreshStorageMetrics(), 5000);
    objects.unref();
    this.#timers.push(peaks, objects);
    this.#refreshStorageMetrics();
    this.#ready = true;
  }

  get ready(): boolean {
    return this.#ready;
  }

  stop(): void {
    this.#flowControl?.stop();
    for (const t of this.#timers) clearInterval(t);
    for (const h of this.#hubs) h.stop();
    for (const s of this.#stores.values()) s.cacher.stop();
  }

  now(): number {
    return this.#now();
  }

  store(def: ResourceDef): ObjectStore {
    return this.#stores.get(storagePrefix(def))!;
  }

  #refreshStorageMetrics(): void {
    for (const def of this.registry.resources) {
      if (def.codec) continue; // shares storage with the version that owns it
      this.metrics.setStorageObjects(def.group, def.resource, this.store(def).cacher.size);
    }
    const main = this.#backends.main.stats().dbSizeBytes;
    if (main !== undefined) this.metrics.setDbSize('main', main);
  }

  /**
   * Serves one request. Returns the response, or null when it was streamed to `stream`
   * (a watch) and has ended.
   */
  async handle(req: ApiRequest, stream?: () => StreamSink): Promise<ApiResponse | null> {
    const start = performance.now();
    const info = requestInfo(req.method, req.path, req.query);
    const user = req.user ?? ANONYMOUS;
    if (!info.isResource) return this.#handleNonResource(req, user);
    const labels = this.#labels(info, req);
    const longRunning = isLongRunning(info);
    const kind = info.verb === 'get' || info.verb === 'list' ? 'readOnly' : 'mutating';
    let flow: (FlowOutcome & { admitted: true }) | undefined;
    if (!longRunning) {
      if (this.#flowControl) {
        const outcome = await this.#flowControl.admit({
          user,
          isResource: true,
          verb: info.verb,
          apiGroup: info.group,
          resource: info.resource,
          subresource: info.subresource,
          namespace: info.namespace,
          path: req.path,
        });
        if (!outcome.admitted) {
          // Counted as dropped, never timed, as the real filter records it.
          this.metrics.countDropped(labels, 429, req.query.has('dryRun'));
          return this.#rejected(outcome);
        }
        flow = outcome;
      } else {
        const limit = kind === 'readOnly' ? this.options.maxRequestsInflight : this.options.maxMutatingRequestsInflight;
        if (limit > 0 && this.#inflight[kind] >= limit) {
          this.metrics.countDropped(labels, 429, req.query.has('dryRun'));
          return tooManyRequests(1);
        }
      }
      this.#inflight[kind]++;
      if (this.#inflight[kind] > this.#peak[kind]) this.#peak[kind] = this.#inflight[kind];
    } else {
      this.metrics.longRunning(labels, 1);
    }
    let code = 500;
    let res: ApiResponse | null = null;
    try {
      if (req.readBody) req.body = await req.readBody();
      if (!longRunning && this.options.addedLatencyMs) await new Promise((r) => setTimeout(r, this.options.addedLatencyMs));
      res = await this.#resource(req, info, stream);
      code = res?.status ?? 200;
      if (res) this.metrics.observeResponseSize(labels, res.body.length, req.query.has('dryRun'));
    } catch (e) {
      res = this.#errorResponse(e);
      code = res.status;
    } finally {
      if (!longRunning) {
        this.#inflight[kind]--;
        flow?.finish();
      } else this.metrics.longRunning(labels, -1);
      const seconds = (performance.now() - start) / 1000;
      // The SLI leaves out the time spent queued by priority and fairness.
      this.metrics.observeRequest(labels, code, seconds, req.query.has('dryRun'), seconds - (flow?.waitedMs ?? 0) / 1000);
    }
    if (res && flow) Object.assign(res.headers, flow.headers);
    return res;
  }

  /**
   * The storage check of /readyz and /healthz, as the real apiserver's etcd check: one
   * cheap read of every backend, answered within 2 s.
   */
  async #storageAnswers(): Promise<boolean> {
    const backends = [this.#backends.main, ...(this.#backends.events ? [this.#backends.events] : [])];
    const check = Promise.all(backends.map((b) => b.currentRevision())).then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2000)));
    try {
      return await Promise.race([check, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Non-resource paths (/metrics, discovery, health) go through flow control too; probes are exempt. */
  async #handleNonResource(req: ApiRequest, user: UserInfo): Promise<ApiResponse> {
    const outcome = this.#flowControl
      ? await this.#flowControl.admit({ user, isResource: false, verb: req.method.toLowerCase(), apiGroup: '', resource: '', subresource: '', namespace: '', path: req.path })
      : undefined;
    if (outcome && !outcome.admitted) return this.#rejected(outcome);
    try {
      const res =
        req.path === '/metrics'
          ? { status: 200, headers: { 'Content-Type': this.metrics.registry.contentType }, body: this.metrics.registry.text() }
          : (req.path === '/readyz' || req.path === '/healthz') && this.#ready && !(await this.#storageAnswers())
            ? { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `[+]ping ok\n[-]etcd failed: reason withheld\n${req.path.slice(1)} check failed` }
            : nonResourceResponse(req, { registry: this.registry, serverAddress: this.options.serverAddress, ready: this.#ready });
      if (outcome) Object.assign(res.headers, outcome.headers);
      return res;
    } finally {
      if (outcome?.admitted) outcome.finish();
    }
  }

  /** 429 from priority and fairness, with the level's Retry-After and the classification headers. */
  #rejected(outcome: FlowOutcome & { admitted: false }): ApiResponse {
    const res = tooManyRequests(outcome.retryAfterSeconds);
    Object.assign(res.headers, outcome.headers);
    return res;
  }

  /** Flow control's view of the server, for tests and metrics: undefined when it is off. */
  get flowControl(): FlowControl | undefined {
    return this.#flowControl;
  }

  #labels(info: ResourceRequestInfo, req: ApiRequest): RequestLabels {
    return {
      verb: metricVerb(info, req.method, req.contentType),
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource: info.subresource,
      scope: metricScope(info),
      component: 'apiserver',
    };
  }

  #errorResponse(e: unknown): ApiResponse {
    if (e instanceof ApiError) return jsonResponse(e.code, JSON.stringify(e.toStatus()), e.headers);
    this.options.onInternalError?.(e);
    const err = errors.internal(e instanceof Error ? e.message : String(e));
    return jsonResponse(500, JSON.stringify(err.toStatus()));
  }

  #resolve(info: ResourceRequestInfo): ResourceDef {
    const def = this.registry.lookup(info.group, info.version, info.resource);
    if (!def) throw errors.serverNotFound();
    if (info.subresource && !def.subresources.includes(info.subresource as never)) throw errors.serverNotFound();
    // Named requests of namespaced resources need a namespace; cluster-scoped ones must not have one
    // (except the namespace object itself, whose name is parsed as the namespace).
    if (def.namespaced && !info.namespace && (info.name || info.verb === 'create')) throw errors.serverNotFound();
    if (!def.namespaced && info.namespace && def.resource !== 'namespaces') throw errors.serverNotFound();
    return def;
  }

  async #resource(req: ApiRequest, info: ResourceRequestInfo, stream?: () => StreamSink): Promise<ApiResponse | null> {
    const def = this.#resolve(info);
    if (def.verbs && !def.verbs.includes(info.verb)) throw errors.methodNotAllowed();
    const r: ResourceRequest = { req, info: def.namespaced ? info : { ...info, namespace: '' }, def };
    // As the real router: no POST to a named object (subresources aside), no PUT or PATCH of a collection.
    if ((info.verb === 'create' && info.name && !info.subresource) || ((info.verb === 'update' || info.verb === 'patch') && !info.name)) {
      throw errors.methodNotAllowed();
    }
    // A subresource with behaviour of its own (binding, scale, finalize, proxy) serves its verbs.
    const own = info.subresource ? def.subresourceHandlers?.[info.subresource as Subresource] : undefined;
    if (own) {
      const verb = info.verb === 'get' || info.verb === 'create' || info.verb === 'update' || info.verb === 'patch' ? own[info.verb] : undefined;
      if (!verb) throw errors.methodNotAllowed();
      return verb(this, r);
    }
    switch (info.verb) {
      case 'get':
        return handleGet(this, r);
      case 'list':
        return handleList(this, r);
      case 'watch': {
        if (!stream) throw errors.badRequest('watch needs a streaming transport');
        const opts = watchOptions(this, r);
        const sent = this.metrics.watchEventCounter(def.group, def.version, def.resource);
        const emitter = new HttpWatchEmitter(this, def, stream(), req.accept, req.query.get('includeObject') ?? 'Metadata', () => sent.inc());
        await runWatch(this, r, opts, emitter, info.name ? `metadata.name=${info.name}` : undefined);
        return null;
      }
      case 'create':
        return handleCreate(this, r);
      case 'update':
        return handleUpdate(this, r);
      case 'patch':
        return handlePatch(this, r);
      case 'delete':
        return handleDelete(this, r);
      case 'deletecollection':
        return handleDeleteCollection(this, r);
    }
  }

  readonly #proxyTargets = new Map<string, ProxyTarget>();

  /**
   * Registers where pods/<name>/proxy requests for a pod go: the sim's control-plane pods
   * (kube-scheduler) are served by in-process servers, not by containers.
   */
  setProxyTarget(namespace: string, pod: string, port: number, target: ProxyTarget): void {
    this.#proxyTargets.set(`${namespace}/${pod}:${port}`, target);
  }

  proxyTarget(namespace: string, pod: string, port: number): ProxyTarget | undefined {
    return this.#proxyTargets.get(`${namespace}/${pod}:${port}`);
  }

  /**
   * A watch for in-process components (scheduler, controllers, kubelets): the same cache,
   * resume and 410 semantics as an HTTP watch, without serializing each event.
   */
  async watchLocal(
    path: string,
    query: URLSearchParams,
    emitter: WatchEmitter,
  ): Promise<void> {
    const info = requestInfo('GET', path, query);
    if (!info.isResource || info.verb !== 'watch') throw errors.badRequest(`not a watch: ${path}`);
    const def = this.#resolve(info);
    const req: ApiRequest = { method: 'GET', path, query, component: 'local' };
    const r: ResourceRequest = { req, info, def };
    const labels = this.#labels(info, req);
    this.metrics.longRunning(labels, 1);
    try {
      await runWatch(this, r, watchOptions(this, r), emitter);
    } finally {
      this.metrics.longRunning(labels, -1);
    }
  }
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** names.SimpleNameGenerator's alphabet (no vowels, no 0, 1 or 3), drawn from the seeded source. */
function randomSuffix(random: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[random.int(NAME_CHARS.length)];
  return s;
}
