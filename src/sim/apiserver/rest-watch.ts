import type { StreamSink } from './api-types.js';
import { type CachedObject, objectJson, parsedObject, TooOldResourceVersionError, type WatchEventType, type WatchRegistration } from './cacher.js';
import { type ApiContext, parseRv, type ResourceRequest } from './context.js';
import { negotiateOutput, type OutputForm, toPartialObjectMetadata, toTable } from './output-form.js';
import { parseBool } from './request-info.js';
import { apiVersionOf, type ResourceDef } from './resource-def.js';
import { servedJson, filterFor } from './rest-read.js';
import { errors, type Status } from './status.js';
import type { KubeObject } from './types.js';
import { forbidden } from './resources/validation.js';

/** Where watch events go: an HTTP stream, or an in-process component. */
export interface WatchEmitter {
  /** Returns false when the receiver cannot keep up; the watch then ends. */
  event(type: WatchEventType, obj: CachedObject, parsed: KubeObject | undefined): boolean;
  bookmark(rv: number, initialEventsEnd: boolean): boolean;
  error(status: Status): void;
  end(): void;
  onClose(cb: () => void): void;
}

export interface WatchOptions {
  /** Undefined: start with the current state; a number: changes after it. */
  from: number | undefined;
  /** Wait for the cache to be consistent with storage before the initial state (RV ""). */
  consistent: boolean;
  bookmarks: boolean;
  sendInitialEventsEnd: boolean;
  timeoutMs: number;
}

/** Parses watch parameters as the real apiserver does (400 on invalid combinations). */
export function watchOptions(ctx: ApiContext, r: ResourceRequest): WatchOptions {
  const q = r.req.query;
  const rvParam = q.get('resourceVersion') ?? '';
  const bookmarks = parseBool(q.get('allowWatchBookmarks')) === true;
  const sendInitial = parseBool(q.get('sendInitialEvents'));
  const rvMatch = q.get('resourceVersionMatch') ?? '';
  if (sendInitial !== undefined) {
    if (rvMatch !== 'NotOlderThan') {
      throw errors.invalidOptions('ListOptions', forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
  } else if (rvMatch) {
    throw errors.invalidOptions('ListOptions', forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
  }
  const timeoutRaw = q.get('timeoutSeconds');
  let timeoutMs = 0;
  if (timeoutRaw) {
    const t = Number(timeoutRaw);
    if (!Number.isFinite(t) || t < 0) throw errors.badRequest(`invalid timeoutSeconds: ${timeoutRaw}`);
    timeoutMs = t * 1000;
  }
  // Unset and 0 alike: a random time in [min, 2*min) of --min-request-timeout, as the real
  // watch handler does, so watchers do not all reconnect at once.
  if (timeoutMs === 0) {
    const min = ctx.options.minRequestTimeoutSeconds;
    timeoutMs = (min + (ctx.strategy.randomInt(1_000_000) / 1_000_000) * min) * 1000;
  }
  let from: number | undefined;
  let initialEnd = false;
  if (sendInitial === true) {
    from = undefined;
    initialEnd = true;
  } else if (sendInitial === false) {
    from = parseRv(rvParam) ?? 0;
  } else if (rvParam === '' || rvParam === '0') {
    from = undefined;
  } else {
    from = parseRv(rvParam);
  }
  return { from, consistent: rvParam === '', bookmarks, sendInitialEventsEnd: initialEnd, timeoutMs };
}

/**
 * Runs one watch until it times out, the receiver goes away, or the cache resets. Resolves
 * when the watch has ended.
 */
export async function runWatch(
  ctx: ApiContext,
  r: ResourceRequest,
  opts: WatchOptions,
  emitter: WatchEmitter,
  extraFieldSelector?: string,
): Promise<void> {
  const filter = filterFor(r, extraFieldSelector);
  const cacher = ctx.store(r.def).cacher;
  await cacher.ready();
  if (opts.consistent && opts.from === undefined) await cacher.catchUp();
  if (opts.from !== undefined && opts.from > cacher.revision) {
    try {
      await cacher.waitFor(opts.from, ctx.options.tooLargeRvWaitMs);
    } catch {
      emitter.error(errors.tooLargeResourceVersion(opts.from, cacher.revision).toStatus());
      emitter.end();
      return;
    }
  }

  await new Promise<void>((resolve) => {
    let done = false;
    let reg: WatchRegistration | undefined;
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      if (done) return;
      done = true;
      reg?.close();
      for (const t of timers) clearTimeout(t);
      emitter.end();
      resolve();
    };
    emitter.onClose(finish);
    try {
      reg = cacher.watch(filter, opts.from, {
        onEvent: (ev) => {
          if (done) return;
          if (!emitter.event(ev.type, ev.object, ev.parsed)) finish();
        },
        onTerminate: () => finish(),
      });
    } catch (e) {
      if (e instanceof TooOldResourceVersionError) {
        emitter.error(errors.expired(e.message).toStatus());
        finish();
        return;
      }
      throw e;
    }
    if (done) return;
    if (opts.sendInitialEventsEnd && !emitter.bookmark(cacher.revision, true)) {
      finish();
      return;
    }
    if (opts.bookmarks) {
      const tick = setInterval(() => {
        if (!done && !emitter.bookmark(cacher.revision, false)) finish();
      }, ctx.options.bookmarkIntervalMs);
      tick.unref();
      timers.push(tick);
    }
    const timeout = setTimeout(finish, opts.timeoutMs);
    timeout.unref();
    timers.push(timeout);
  });
}

/** Serializes watch events as the JSON stream of the real apiserver. */
export class HttpWatchEmitter implements WatchEmitter {
  readonly #form: OutputForm;
  #columnsSent = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly def: ResourceDef,
    private readonly sink: StreamSink,
    accept: string | undefined,
    private readonly includeObject: string,
    private readonly onEvent?: () => void,
  ) {
    this.#form = negotiateOutput(accept);
    sink.start({ 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  }

  #write(type: string, objectJson: string): boolean {
    return this.sink.write(`{"type":"${type}","object":${objectJson}}\n`);
  }

  event(type: WatchEventType, obj: CachedObject, parsed: KubeObject | undefined): boolean {
    this.onEvent?.();
    if (this.#form.kind === 'json') return this.#write(type, servedJson(this.def, objectJson(obj)));
    const o = parsed ?? parsedObject(obj);
    if (this.#form.kind === 'metadata') return this.#write(type, toPartialObjectMetadata(o, this.#form.version));
    const table = toTable(this.def, [o], { resourceVersion: String(obj.rv) }, this.#form.version, {
      includeObject: this.includeObject,
      withColumns: !this.#columnsSent,
      now: this.ctx.now(),
    });
    this.#columnsSent = true;
    return this.#write(type, table);
  }

  bookmark(rv: number, initialEventsEnd: boolean): boolean {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
    if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    const kind = this.#form.kind === 'json' ? this.def.kind : this.#form.kind === 'table' ? 'Table' : 'PartialObjectMetadata';
    const apiVersion = this.#form.kind === 'json' ? apiVersionOf(this.def) : `meta.k8s.io/${this.#form.version}`;
    return this.#write('BOOKMARK', JSON.stringify({ kind, apiVersion, metadata }));
  }

  error(status: Status): void {
    this.#write('ERROR', JSON.stringify(status));
  }

  end(): void {
    this.sink.end();
  }

  onClose(cb: () => void): void {
    this.sink.onClose(cb);
  }
}
