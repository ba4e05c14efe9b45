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

  /** Why the run must stop, or undefined while the server answers (or has not failed for long). */
  check(): string | undefined {
    const t = this.tracker();
    const now = this.now();
    // With the pods measurement on, its watch must be failing too (a quiet phase makes no
    // calls); without it, the calls the run keeps making must be failing.
    const down = t ? t.failingSince !== undefined && now - t.failingSince > this.graceMs && now - this.#lastOk > this.graceMs : this.#failingSince !== undefined && now - this.#failingSince > this.graceMs;
    if (!down) return undefined;
    const why = [this.#lastError, t?.lastError].filter(Boolean).join('; ');
    return `the API server at ${this.server} has not answered since ${new Date(this.#lastOk).toISOString()} (more than ${Math.round(this.graceMs / 1000)} s; ${why || 'no answer'})`;
  }
}
