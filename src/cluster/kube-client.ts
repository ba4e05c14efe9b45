import { Pool } from '../util/http-client.js';
import { classifyRequest, type RequestKey } from './request-key.js';
import type { Connection } from './target.js';

/** How one API call ended, after its retries. */
export interface CallOutcome {
  key: RequestKey;
  /** HTTP status of the last attempt; 0 when it got no answer (timeout, connection error). */
  status: number;
  /** Latency of the last attempt (ms). */
  latencyMs: number;
  /** From the first attempt's start to the final answer (ms): retries and their backoff waits included. */
  totalMs: number;
  attempts: number;
  /** One entry per failed attempt: an HTTP status code, 'timeout' or 'network'. */
  failures: string[];
}

export interface CallObserver {
  onCall(outcome: CallOutcome): void;
}

export interface CallResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface CallOptions {
  query?: Record<string, string> | URLSearchParams;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Retry 429, 5xx and transport errors (default true). */
  retry?: boolean;
  /**
   * A 2xx answer's body is kept up to and including the first occurrence of this text; the
   * rest is read (the latency includes it) and dropped. A list page's metadata without its
   * 1.5 MB of items.
   */
  keepBodyUntil?: string;
}

/** Reads a body whole, keeping its text up to and including `marker` (all of it when the marker never comes). */
async function readUntil(body: AsyncIterable<Buffer | string> & { setEncoding(e: 'utf8'): unknown }, marker: string): Promise<string> {
  body.setEncoding('utf8');
  let kept = '';
  let found = false;
  for await (const chunk of body) {
    if (found) continue;
    const from = Math.max(0, kept.length - marker.length);
    kept += chunk as string;
    const at = kept.indexOf(marker, from);
    if (at >= 0) {
      kept = kept.slice(0, at + marker.length);
      found = true;
    }
  }
  return kept;
}

export class KubeCallError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export interface KubeClientOptions {
  /** Keep-alive connections to the apiserver. @default 32 */
  connections?: number;
  /** Per-attempt timeout (ms). @default 60000 */
  timeoutMs?: number;
  /** Retries after the first attempt; an answer with Retry-After gets max(this, 10), as in client-go. @default 4 */
  maxRetries?: number;
  observer?: CallObserver;
  /** Random source for retry jitter (the run seed). */
  random?: () => number;
}

/**
 * The only place kbench talks HTTP to a cluster: JSON requests over keep-alive connections
 * (undici), bounded retries with backoff on 429, 5xx and transport errors (honouring
 * Retry-After), every call reported to the observer with its (verb, resource,
 * subresource, scope) key, and streaming watches.
 */
export class KubeClient {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #maxRetriesAfter: number;
  readonly #random: () => number;
  #headers: Record<string, string> = {};
  #headersAt = -Infinity;
  readonly #observers = new Set<CallObserver>();

  constructor(
    private readonly conn: Connection,
    opts: KubeClientOptions = {},
  ) {
    this.#pool = new Pool(conn.server.origin, {
      connections: opts.connections ?? 32,
      connect: { ...conn.tls },
      bodyTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: 60_000,
    });
    this.#prefix = conn.server.pathname.replace(/\/+$/, '');
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#maxRetries = opts.maxRetries ?? 4;
    this.#maxRetriesAfter = opts.maxRetries === undefined ? 10 : opts.maxRetries;
    if (opts.observer) this.#observers.add(opts.observer);
    this.#random = opts.random ?? Math.random;
  }

  /** Every call from now on is reported to `o` (client latency, the run's server health). */
  addObserver(o: CallObserver): void {
    this.#observers.add(o);
  }

  removeObserver(o: CallObserver): void {
    this.#observers.delete(o);
  }

  #report(outcome: CallOutcome): void {
    for (const o of this.#observers) o.onCall(outcome);
  }

  async #authHeaders(): Promise<Record<string, string>> {
    // Exec-plugin tokens expire: refresh them every minute.
    if (performance.now() - this.#headersAt > 60_000) {
      this.#headers = await this.conn.headers();
      this.#headersAt = performance.now();
    }
    return this.#headers;
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
    const query = opts.query instanceof URLSearchParams ? opts.query : new URLSearchParams(opts.query ?? {});
    const qs = query.toString();
    const fullPath = `${this.#prefix}${path}${qs ? `?${qs}` : ''}`;
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const contentType = opts.contentType ?? 'application/json';
    const key = classifyRequest(method, path, query, contentType);
    const failures: string[] = [];
    const retry = opts.retry ?? true;
    const first = performance.now();
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...(await this.#authHeaders()), accept: opts.accept ?? 'application/json' };
      if (body !== undefined) headers['content-type'] = contentType;
      const start = performance.now();
      let status = 0;
      let text = '';
      let resHeaders: Record<string, string | string[] | undefined> = {};
      let failure: string | undefined;
      try {
        const res = await this.#pool.request({
          method: method as 'GET',
          path: fullPath,
          headers,
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        status = res.statusCode;
        resHeaders = res.headers;
        text = opts.keepBodyUntil && status >= 200 && status < 300 ? await readUntil(res.body, opts.keepBodyUntil) : await res.body.text();
        if (RETRYABLE.has(status)) failure = String(status);
      } catch (e) {
        failure = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError' ? 'timeout' : 'network';
        text = (e as Error).message;
      }
      const latencyMs = performance.now() - start;
      if (failure) failures.push(failure);
      const retryAfter = Number(resHeaders['retry-after']);
      const toldToWait = Number.isFinite(retryAfter) && retryAfter > 0;
      // As client-go: an answer that says when to come back is retried up to 10 times.
      const last = !failure || !retry || attempt >= (toldToWait ? this.#maxRetriesAfter : this.#maxRetries);
      if (last) {
        this.#report({ key, status, latencyMs, totalMs: performance.now() - first, attempts: attempt + 1, failures });
        if (status === 0) throw new KubeCallError(0, failure ?? 'network', `${method} ${path}: ${text}`);
        return { status, body: text, headers: resHeaders };
      }
      const backoff = toldToWait ? Math.min(10, retryAfter) * 1000 : Math.min(5000, 100 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, backoff * (0.8 + 0.4 * this.#random())));
    }
  }

  /** A call that must succeed (2xx); the parsed body, or a KubeCallError with the Status. */
  async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    if (res.status >= 200 && res.status < 300) return (res.body ? JSON.parse(res.body) : undefined) as T;
    let reason = '';
    let message = res.body;
    try {
      const st = JSON.parse(res.body) as { reason?: string; message?: string };
      reason = st.reason ?? '';
      message = st.message ?? res.body;
    } catch {
      // not a Status
    }
    throw new KubeCallError(res.status, reason, `${method} ${path}: ${res.status} ${reason}: ${message}`);
  }

  /**
   * Opens a watch (`?watch=true` with `query`); each event line is handed over with the
   * time its chunk arrived (performance.now()). Resolves when the stream ends.
   */
  async watch(
    path: string,
    query: Record<string, string>,
    onEvent: (type: string, object: Record<string, unknown>, receivedAt: number) => void,
    signal: AbortSignal,
  ): Promise<{ status: number; error?: string }> {
    const qs = new URLSearchParams({ ...query, watch: 'true' }).toString();
    const headers: Record<string, string> = { ...(await this.#authHeaders()), accept: 'application/json' };
    const key = classifyRequest('GET', path, new URLSearchParams({ watch: 'true' }));
    const start = performance.now();
    let res;
    try {
      res = await this.#pool.request({ method: 'GET', path: `${this.#prefix}${path}?${qs}`, headers, signal });
    } catch (e) {
      const ms = performance.now() - start;
      this.#report({ key, status: 0, latencyMs: ms, totalMs: ms, attempts: 1, failures: ['network'] });
      return { status: 0, error: (e as Error).message };
    }
    const ms = performance.now() - start;
    this.#report({ key, status: res.statusCode, latencyMs: ms, totalMs: ms, attempts: 1, failures: RETRYABLE.has(res.statusCode) ? [String(res.statusCode)] : [] });
    if (res.statusCode !== 200) return { status: res.statusCode, error: await res.body.text() };
    // One event per line. The text is cut once per line and the remainder kept once per
    // chunk, so a chunk of many events costs what its events cost.
    let rest = '';
    try {
      res.body.setEncoding('utf8');
      for await (const chunk of res.body as AsyncIterable<string>) {
        const receivedAt = performance.now();
        const text = rest ? rest + chunk : chunk;
        let from = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
          if (nl > from) {
            const ev = JSON.parse(text.slice(from, nl)) as { type: string; object: Record<string, unknown> };
            onEvent(ev.type, ev.object, receivedAt);
          }
          from = nl + 1;
        }
        rest = from < text.length ? text.slice(from) : '';
      }
    } catch (e) {
      if (!signal.aborted) return { status: 200, error: (e as Error).message };
    }
    return { status: 200 };
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => undefined);
  }
}
