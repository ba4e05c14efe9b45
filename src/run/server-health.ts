import type { CallObserver, CallOutcome } from '../cluster/kube-client.js';
import type { TrackerHealth } from '../measure/pod-tracker.js';

/** How long the API server may fail every call and the pod watch before the run gives up. @default 30 s */
export const DEFAULT_SERVER_GRACE_MS = 30_000;

/**
 * Notices a dead API server (or a dead etcd behind it): when every API call of the run
 * and every attempt of the pod watch has failed for longer than the grace, the run stops
 * with the time the server last answered, instead of waiting out its phase timeouts and
 * then blaming the pods.
 */
export class ServerHealth implements CallObserver {
  #lastOk = Date.now();
  #failingSince: number | undefined;
  #lastError = '';
  #notReadySince: number | undefined;
  #notReady = '';

  constructor(
    private readonly server: string,
    private readonly graceMs: number,
    private readonly tracker: () => TrackerHealth | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  onCall(o: CallOutcome): void {
    // An answer of any kind but 5xx (or none) means the server and its storage work.
    if (o.status > 0 && o.status < 500) {
      this.#lastOk = this.now();
      this.#failingSince = undefined;
      return;
    }
    this.#failingSince ??= this.now() - o.totalMs;
    this.#lastError = o.status === 0 ? (o.failures[o.failures.length - 1] ?? 'no answer') : `HTTP ${o.status}`;
  }

  /**
   * What the server's /readyz said (probed every few seconds): in a phase without calls
   * (a wait), a dead etcd shows only there. 401/403/404 mean this user cannot ask, not a
   * failure; `undefined` is no answer at all.
   */
  onReadyz(status: number | undefined, body: string): void {
    if (status === 200) {
      this.#notReadySince = undefined;
      return;
    }
    if (status === 401 || status === 403 || status === 404) return;
    this.#notReadySince ??= this.now();
    this.#notReady = status === undefined ? `/readyz: no answer (${body})` : `/readyz answered ${status}${body ? `: ${body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  }

  /** Why the run must stop, or undefined while the server answers (or has not failed for long). */
  check(): string | undefined {
    const t = this.tracker();
    const now = this.now();
    // Every call made for longer than the grace failed, or the pod watch has not connected
    // for that long. A quiet phase makes no calls, so silence alone is never a failure.
    const calls = this.#failingSince !== undefined && now - this.#failingSince > this.graceMs;
    const watch = t?.failingSince !== undefined && now - t.failingSince > this.graceMs;
    const ready = this.#notReadySince !== undefined && now - this.#notReadySince > this.graceMs;
    if (!calls && !watch && !ready) return undefined;
    const since = Math.min(calls ? this.#failingSince! : Infinity, watch ? t!.failingSince! : Infinity, ready ? this.#notReadySince! : Infinity, calls || watch ? this.#lastOk : Infinity);
    const why = [calls ? this.#lastError : '', watch ? t?.lastError : '', ready ? this.#notReady : ''].filter(Boolean).join('; ');
    return `the API server at ${this.server} has not answered${ready && !calls && !watch ? ' as ready' : ''} since ${new Date(since).toISOString()} (more than ${Math.round(this.graceMs / 1000)} s; ${why || 'no answer'})`;
  }
}
