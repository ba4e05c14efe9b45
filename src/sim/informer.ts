import type { KubeObject } from './apiserver/types.js';
import type { LocalClient, LocalWatch } from './local-client.js';

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T> {
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Reduces each object to what the component keeps (memory at 150k pods). `prev` is the
   * record kept for the same object before, so unchanged parts can be reused, not recomputed.
   */
  transform(obj: KubeObject, prev: T | undefined): T;
  handlers: InformerHandlers<T>;
  /** Called when the informer has to relist (the watch fell out of the history window). */
  onRelist?(): void;
}

export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : String(obj.metadata.name);
}

/**
 * List+watch of one resource for an in-process component, like client-go's informer:
 * keeps a local store, resumes after the last resourceVersion, and on 410 Gone relists
 * and reconciles (objects missing from the new list are reported deleted).
 */
export class Informer<T> {
  readonly #client: LocalClient;
  readonly #opts: InformerOptions<T>;
  readonly #items = new Map<string, T>();
  #watch: LocalWatch | undefined;
  #rv: number | undefined;
  #stopped = false;
  #synced: Promise<void>;
  #resolveSynced!: () => void;
  #relisting: Set<string> | undefined;

  constructor(client: LocalClient, opts: InformerOptions<T>) {
    this.#client = client;
    this.#opts = opts;
    this.#synced = new Promise((r) => (this.#resolveSynced = r));
  }

  /** Starts the informer; resolves once the initial state is in the local store. */
  start(): Promise<void> {
    this.#run();
    return this.#synced;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  get size(): number {
    return this.#items.size;
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
  }

  #run(): void {
    if (this.#stopped) return;
    const query: Record<string, string> = { allowWatchBookmarks: 'true', timeoutSeconds: '3600' };
    if (this.#opts.labelSelector) query.labelSelector = this.#opts.labelSelector;
    if (this.#opts.fieldSelector) query.fieldSelector = this.#opts.fieldSelector;
    if (this.#rv === undefined) {
      // A full state first, ending with a bookmark, so deletions missed meanwhile are found.
      query.sendInitialEvents = 'true';
      query.resourceVersionMatch = 'NotOlderThan';
      this.#relisting = new Set(this.#items.keys());
    } else {
      query.resourceVersion = String(this.#rv);
    }
    this.#watch = this.#client.watch(this.#opts.path, query, {
      event: (type, obj, rv) => {
        this.#rv = rv;
        const key = objectKey(obj);
        const h = this.#opts.handlers;
        if (type === 'DELETED') {
          const old = this.#items.get(key);
          this.#items.delete(key);
          if (old !== undefined) h.delete?.(old);
          return;
        }
        this.#relisting?.delete(key);
        const old = this.#items.get(key);
        const next = this.#opts.transform(obj, old);
        this.#items.set(key, next);
        if (old === undefined) h.add?.(next);
        else h.update?.(old, next);
      },
      bookmark: (rv, initialEventsEnd) => {
        this.#rv = rv;
        if (initialEventsEnd) {
          const gone = this.#relisting;
          this.#relisting = undefined;
          for (const key of gone ?? []) {
            const old = this.#items.get(key);
            this.#items.delete(key);
            if (old !== undefined) this.#opts.handlers.delete?.(old);
          }
          this.#resolveSynced();
        }
      },
      closed: (status) => {
        if (this.#stopped) return;
        if (status && (status.code === 410 || status.code >= 500)) {
          if (status.code === 410) this.#opts.onRelist?.();
          this.#rv = undefined;
        }
        // Resume (or relist) on the next turn, as a reflector would.
        setTimeout(() => this.#run(), status && status.code >= 500 ? 1000 : 0).unref();
      },
    });
  }
}
