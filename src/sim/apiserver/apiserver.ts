import { SIM_DEFAULTS } from '../options.js';
import type { StorageBackend } from '../storage/backend.js';
import { type ApiRequest, type ApiResponse, jsonResponse, type StreamSink } from './api-types.js';
import { Cacher } from './cacher.js';
import { WatchHub } from './watch-hub.js';
import type { ApiContext, ApiCoreOptions, ResourceRequest } from './context.js';
import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { ApiserverMetrics, type RequestLabels } from './metrics.js';
import { ObjectStore } from './object-store.js';
import { openapiResponse } from './openapi.js';
import { Registry, storagePrefix } from './registry.js';
import { isLongRunning, metricScope, metricVerb, type ResourceRequestInfo, requestInfo } from './request-info.js';
import type { ResourceDef, StrategyContext } from './resource-def.js';
import { handleGet, handleList } from './rest-read.js';
import { HttpWatchEmitter, runWatch, type WatchEmitter, watchOptions } from './rest-watch.js';
import {
  handleCreate,
  handleDelete,
  handleDeleteCollection,
  handlePatch,
  handleScaleGet,
  handleUpdate,
  randomSuffix,
} from './rest-write.js';
import { ApiError, errors } from './status.js';

export interface ApiServerOptions extends ApiCoreOptions {
  /** --max-requests-inflight: concurrent non-mutating requests before 429 (watches exempt). */
  maxRequestsInflight: number;
  /** --max-mutating-requests-inflight. */
  maxMutatingRequestsInflight: number;
  /** The watch cache keeps events this young for watches that resume (ms). */
  watchHistoryWindowMs: number;
  /** ...and at most this many per resource. */
  watchHistoryMax: number;
  /** host:port clients reach the server at (reported by GET /api). */
  serverAddress: string;
  now?: () => number;
  /** Called with unexpected errors (500s) for logging. */
  onInternalError?: (err: unknown) => void;
}

// The sim's defaults (options.ts) are the one place these are set.
export const DEFAULT_API_OPTIONS: Omit<ApiServerOptions, 'serverAddress'> = {
  maxRequestsInflight: SIM_DEFAULTS.maxRequestsInflight,
  maxMutatingRequestsInflight: SIM_DEFAULTS.maxMutatingRequestsInflight,
  watchHistoryWindowMs: SIM_DEFAULTS.watchHistoryWindowMs,
  watchHistoryMax: SIM_DEFAULTS.watchHistoryMax,
  bookmarkIntervalMs: SIM_DEFAULTS.bookmarkIntervalMs,
  minRequestTimeoutSeconds: SIM_DEFAULTS.minRequestTimeoutSeconds,
  tooLargeRvWaitMs: 3000,
};

/** Where a proxied pod's requests go (an in-process server of the sim). */
export interface ProxyTarget {
  scheme: 'http' | 'https';
  fetch(path: string): Promise<{ status: number; contentType: string; body: string }>;
}

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

  constructor(backends: Backends, options: ApiServerOptions) {
    this.#backends = backends;
    this.options = options;
    this.#now = options.now ?? Date.now;
    this.strategy = { now: this.#now, randomSuffix };
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
      // etcd_request_duration_seconds{type} names the resource, e.g. pods or deployments.apps.
      this.#stores.set(
        prefix,
        new ObjectStore(backend, cacher, (op, s) => this.metrics.observeEtcd(op, def.group, def.resource, s)),
      );
    }
    this.#hubs = [...hubs.values()];
  }

  async start(): Promise<void> {
    await Promise.all([...this.#hubs].map((h) => h.start()));
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
    if (!info.isResource) {
      if (req.path === '/metrics') {
        return { status: 200, headers: { 'Content-Type': this.metrics.registry.contentType }, body: this.metrics.registry.text() };
      }
      return this.#nonResource(req);
    }
    const labels = this.#labels(info, req);
    const longRunning = isLongRunning(info);
    const kind = info.verb === 'get' || info.verb === 'list' ? 'readOnly' : 'mutating';
    if (!longRunning) {
      const limit = kind === 'readOnly' ? this.options.maxRequestsInflight : this.options.maxMutatingRequestsInflight;
      if (limit > 0 && this.#inflight[kind] >= limit) {
        this.metrics.countDropped(labels, 429, req.query.has('dryRun'));
        return this.#errorResponse(errors.tooManyRequests(1));
      }
      this.#inflight[kind]++;
      if (this.#inflight[kind] > this.#peak[kind]) this.#peak[kind] = this.#inflight[kind];
    } else {
      this.metrics.longRunning(labels, 1);
    }
    let code = 500;
    try {
      if (req.readBody) req.body = await req.readBody();
      const res = await this.#resource(req, info, stream);
      code = res?.status ?? 200;
      if (res) this.metrics.observeResponseSize(labels, res.body.length);
      return res;
    } catch (e) {
      const res = this.#errorResponse(e);
      code = res.status;
      return res;
    } finally {
      if (!longRunning) this.#inflight[kind]--;
      else this.metrics.longRunning(labels, -1);
      this.metrics.observeRequest(labels, code, (performance.now() - start) / 1000, req.query.has('dryRun'));
    }
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
    const r: ResourceRequest = { req, info: def.namespaced ? info : { ...info, namespace: '' }, def };
    // As the real router: no POST to a named object (subresources aside), no PUT or PATCH of a collection.
    if ((info.verb === 'create' && info.name && !info.subresource) || ((info.verb === 'update' || info.verb === 'patch') && !info.name)) {
      throw errors.methodNotAllowed();
    }
    switch (info.verb) {
      case 'get':
        if (info.subresource === 'proxy') return this.#proxy(info);
        return info.subresource === 'scale' ? handleScaleGet(this, r) : handleGet(this, r);
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

  async #proxy(info: ResourceRequestInfo): Promise<ApiResponse> {
    if (info.verb !== 'get') throw errors.methodNotAllowed();
    // name is [scheme:]pod[:port]
    const parts = info.name.split(':');
    const scheme = parts.length === 3 ? parts[0] : '';
    const pod = parts.length === 3 ? parts[1]! : parts[0]!;
    const port = Number(parts.length === 3 ? parts[2] : parts[1] ?? 80);
    const found = await this.store(this.registry.lookup('', 'v1', 'pods')!).get(`/registry/pods/${info.namespace}/${pod}`);
    if (!found) throw errors.notFound({ group: '', resource: 'pods' }, pod);
    const target = this.#proxyTargets.get(`${info.namespace}/${pod}:${port}`);
    if (!target || (scheme && scheme !== target.scheme)) {
      throw errors.serviceUnavailable(`error trying to reach service: dial tcp ${pod}:${port}: connect: connection refused`);
    }
    const res = await target.fetch(info.proxyPath);
    return { status: res.status, headers: { 'Content-Type': res.contentType }, body: res.body };
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

  #nonResource(req: ApiRequest): ApiResponse {
    const path = req.path.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.#errorResponse(errors.methodNotAllowed());
    }
    const json = (o: unknown): ApiResponse => jsonResponse(200, JSON.stringify(o));
    switch (path) {
      case '/version':
        return json(versionInfo());
      case '/api':
        return json(coreVersions(this.options.serverAddress));
      case '/apis':
        return json(groupList(this.registry));
      case '/healthz':
      case '/livez':
      case '/readyz':
        return this.#ready
          ? { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'ok' }
          : { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '[-]cache not ready\nhealthz check failed' };
      case '/':
        return json({
          paths: ['/api', '/api/v1', '/apis', ...[...this.registry.groups().keys()].filter(Boolean).map((g) => `/apis/${g}`), '/healthz', '/livez', '/metrics', '/openapi/v2', '/openapi/v3', '/readyz', '/version'],
        });
    }
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = resourceList(this.registry, '', parts[1]!);
      if (list) return json(list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = group(this.registry, parts[1]!);
      if (g) return json(g);
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = resourceList(this.registry, parts[1]!, parts[2]!);
      if (list) return json(list);
    }
    if (parts[0] === 'openapi') {
      const res = openapiResponse(parts.slice(1), req.accept);
      if (res) return res;
    }
    return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '404 page not found\n' };
  }
}
