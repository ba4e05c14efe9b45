import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiServer } from './apiserver/apiserver.js';
import { type CachedObject, parsedObject, type WatchEventType } from './apiserver/cacher.js';
import type { WatchEmitter } from './apiserver/rest-watch.js';
import type { Status } from './apiserver/status.js';
import type { KubeObject } from './apiserver/types.js';
import type { TokenBucket } from '../util/token-bucket.js';
import type { UserInfo } from './apiserver/user-info.js';
import { Turns } from './turns.js';

/**
 * In-process requests take turns with the sockets of this thread's event loop (see Turns):
 * one gate per thread, as the event loop is; 16 requests are a few milliseconds of work.
 */
const turns = new Turns(16);

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export class LocalApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The client was closed: the component that owns it is stopping. Not an API error. */
export class LocalClientClosedError extends Error {
  constructor(readonly component: string) {
    super(`${component}: client closed`);
  }
}

export interface LocalWatchHandlers {
  event(type: WatchEventType, obj: KubeObject, rv: number): void;
  /** `initialEventsEnd`: the initial state (sendInitialEvents) has been delivered. */
  bookmark?(rv: number, initialEventsEnd: boolean): void;
  /** The watch ended; `status` is set when the server ended it with an error (410 and such). */
  closed(status?: Status): void;
}

export interface LocalWatch {
  stop(): void;
  done: Promise<void>;
}

/**
 * How the sim's own components (controllers, scheduler, kubelets) talk to its apiserver:
 * every request goes through the same handler as HTTPS requests (validation, inflight
 * limits, metrics), minus the socket; watches share the cache without serializing events.
 */
export class LocalClient {
  readonly #closing: AbortController;

  constructor(
    private readonly api: ApiServer,
    /** The `component` of request metrics, like a client's user agent. */
    readonly component: string,
    /** The identity the component authenticates as (what flow control classifies by). */
    readonly user: UserInfo,
    /** The component's client-side rate limiter (its --kube-api-qps / --kube-api-burst). */
    private readonly limiter?: TokenBucket,
    closing?: AbortController,
  ) {
    this.#closing = closing ?? new AbortController();
  }

  /**
   * The same client (limiter, closing) with another identity: a kubelet per node, each
   * with its node's credentials.
   */
  as(user: UserInfo): LocalClient {
    return new LocalClient(this.api, this.component, user, this.limiter, this.#closing);
  }

  /**
   * Ends the client: requests waiting for the rate limiter, every later request and every
   * 429 retry reject with LocalClientClosedError. A stopping component's queued work then
   * ends at once instead of trickling out at its QPS against storage that is closing.
   */
  close(): void {
    this.#closing.abort(new LocalClientClosedError(this.component));
  }

  /**
   * Sends a request; the body object is handed over (the server may change it). With
   * `discard`, a successful response is not decoded (writes whose result nobody reads).
   */
  async request<T = KubeObject>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string>; contentType?: string; discard?: boolean } = {},
  ): Promise<T> {
    let res;
    // 429s are retried after Retry-After, up to 10 times, as client-go does.
    const signal = this.#closing.signal;
    for (let attempt = 0; ; attempt++) {
      if (this.limiter) await this.limiter.take(signal);
      if (signal.aborted) throw signal.reason as LocalClientClosedError;
      // Most requests may start at once: no await (a microtask hop) for those.
      const turn = turns.take();
      if (turn) {
        await turn;
        if (signal.aborted) throw signal.reason as LocalClientClosedError;
      }
      res = await this.api.handle({
        method,
        path,
        query: new URLSearchParams(options.query ?? {}),
        contentType: options.contentType ?? 'application/json',
        // A 429 comes before the body is read, so a retry may send the same object.
        object: options.body,
        component: this.component,
        user: this.user,
      });
      if (!res || res.status !== 429 || attempt >= 9) break;
      // Not tied to the signal (a listener per sleeping request is costly in a 429 storm):
      // a closed client notices at the next attempt, about a second later.
      await sleep(Number(res.headers['Retry-After'] ?? 1) * 1000);
    }
    if (!res) throw new Error(`unexpected streamed response for ${method} ${path}`);
    if (options.discard && res.status < 400) return undefined as T;
    const text = res.body.toString();
    // Errors from the server's filters (429) are plain text, as the real ones are.
    const type = res.headers['Content-Type'];
    const parsed = text.length > 0 && (type === undefined || type.startsWith('application/json')) ? (JSON.parse(text) as unknown) : undefined;
    if (res.status >= 400) {
      const st = (parsed ?? {}) as Partial<Status>;
      throw new LocalApiError(res.status, st.reason ?? '', st.message ?? text, st.details?.retryAfterSeconds);
    }
    return parsed as T;
  }

  get<T = KubeObject>(path: string, query?: Record<string, string>): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  update<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T = KubeObject>(path: string, body: unknown, type: 'merge' | 'strategic' | 'json' = 'merge'): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType: PATCH_TYPES[type] });
  }

  delete<T = KubeObject>(path: string, options?: Record<string, unknown>): Promise<T> {
    return this.request<T>('DELETE', path, { body: options });
  }

  /** A write whose response nobody reads: not decoded. Errors still throw. */
  async send(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, patchType: 'merge' | 'strategic' | 'json' = 'merge'): Promise<void> {
    await this.request(method, path, { body, discard: true, contentType: method === 'PATCH' ? PATCH_TYPES[patchType] : 'application/json' });
  }

  /** Watches `path` (a collection path) with query parameters as an HTTP watch would take. */
  watch(path: string, query: Record<string, string>, handlers: LocalWatchHandlers): LocalWatch {
    let closeCb: (() => void) | undefined;
    let stopped = false;
    let errorStatus: Status | undefined;
    const emitter: WatchEmitter = {
      event(type: WatchEventType, obj: CachedObject, parsed: KubeObject | undefined) {
        if (stopped) return false;
        handlers.event(type, parsed ?? parsedObject(obj), obj.rv);
        return !stopped;
      },
      bookmark(rv: number, initialEventsEnd: boolean) {
        handlers.bookmark?.(rv, initialEventsEnd);
        return !stopped;
      },
      error(status: Status) {
        errorStatus = status;
      },
      end() {
        stopped = true;
      },
      onClose(cb: () => void) {
        closeCb = cb;
      },
    };
    const done = this.api
      .watchLocal(path, new URLSearchParams({ ...query, watch: 'true' }), emitter)
      .catch((e: unknown) => {
        errorStatus = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: e instanceof Error ? e.message : String(e),
          reason: 'InternalError',
          code: 500,
        };
      })
      .then(() => handlers.closed(errorStatus));
    return {
      stop: () => {
        stopped = true;
        closeCb?.();
      },
      done,
    };
  }
}
