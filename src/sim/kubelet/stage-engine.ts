import { parseDuration } from '../../util/duration.js';
import type { Random } from '../../util/random.js';
import type { PodStageSpec, StageDelay, StageEvent } from './pod-stages.js';
import { signedDurationMs } from './pod-stages.js';
import { type KubeletPod, stageStatus } from './pod-status.js';

/** How the engine's decisions reach the apiserver (the kubelet's client, or a test's recorder). */
export interface PodWriter {
  /** PATCH pods/<name>/status. */
  status(p: KubeletPod, status: Record<string, unknown>): Promise<void>;
  /** DELETE the pod with grace period 0 (uid precondition). */
  remove(p: KubeletPod): Promise<void>;
  event(p: KubeletPod, event: StageEvent & { container: string; image: string }, now: number): Promise<void>;
}

/** A write that failed: `gone` when the pod no longer exists (404) or was replaced (409). */
export class StageWriteError extends Error {
  constructor(
    message: string,
    readonly gone: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface StageEngineOptions {
  stages: readonly PodStageSpec[];
  random: Random;
  now(): number;
  log(line: string): void;
  /** A pod the engine stopped looking after (deleted, gone): its IP can go back. */
  onForget?(p: KubeletPod): void;
}

interface Scheduled {
  timer: NodeJS.Timeout;
}

/**
 * Runs a profile's stages for every pod, as kwok's stage controller: when a pod enters a
 * state, the stages whose selector matches it compete by weight, the winner's delay is
 * drawn (duration ± jitter, or the pod's annotations), and when it fires the engine writes
 * the status and events it declares (or deletes the pod) and moves the pod to its next state.
 * A write that fails is retried with backoff; a pod that is gone is dropped.
 */
export class StageEngine {
  readonly #pods = new Map<string, KubeletPod>();
  readonly #timers = new Map<string, Scheduled>();
  #stopped = false;

  constructor(
    private readonly writer: PodWriter,
    private readonly opts: StageEngineOptions,
  ) {}

  get size(): number {
    return this.#pods.size;
  }

  /** Pods by lifecycle state. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.#pods.values()) out[p.state] = (out[p.state] ?? 0) + 1;
    return out;
  }

  get(key: string): KubeletPod | undefined {
    return this.#pods.get(key);
  }

  /** Starts looking after a pod in `state`. */
  add(p: KubeletPod): void {
    if (this.#stopped) return;
    this.#pods.set(p.key, p);
    this.enter(p, p.state);
  }

  /** Forgets a pod (deleted, or replaced by another of the same name). */
  forget(key: string): void {
    const p = this.#pods.get(key);
    this.#cancel(key);
    this.#pods.delete(key);
    if (p) this.opts.onForget?.(p);
  }

  stop(): void {
    this.#stopped = true;
    for (const key of [...this.#timers.keys()]) this.#cancel(key);
  }

  /** Moves a pod to `state` and arms the stage that will take it further, if any. */
  enter(p: KubeletPod, state: string): void {
    this.#cancel(p.key);
    p.state = state;
    if (this.#stopped) return;
    const stage = this.#pick(p);
    if (!stage) return;
    this.#arm(p, stage, this.#delayMs(p, stage.delay), 0);
  }

  #pick(p: KubeletPod): PodStageSpec | undefined {
    const candidates = this.opts.stages.filter((s) => s.selector.state === p.state && matches(s.selector.matchLabels, p.labels) && matches(s.selector.matchAnnotations, p.annotations));
    if (candidates.length <= 1) return candidates[0];
    const total = candidates.reduce((n, s) => n + (s.weight ?? 1), 0);
    let x = this.opts.random.next() * total;
    for (const s of candidates) {
      x -= s.weight ?? 1;
      if (x < 0) return s;
    }
    return candidates.at(-1);
  }

  #delayMs(p: KubeletPod, d: StageDelay | undefined): number {
    if (!d) return 0;
    let duration = d.duration === undefined ? 0 : parseDuration(d.duration);
    let jitter = d.jitter === undefined ? 0 : parseDuration(d.jitter);
    const fromAnnotation = (name: string | undefined): number | undefined => {
      const v = name === undefined ? undefined : p.annotations[name];
      if (v === undefined) return undefined;
      try {
        return parseDuration(v);
      } catch {
        return undefined; // a malformed annotation leaves the profile's value
      }
    };
    const annotated = fromAnnotation(d.durationFrom?.annotation);
    if (annotated !== undefined) duration = Math.max(0, annotated + (d.durationFrom?.offset === undefined ? 0 : signedDurationMs(d.durationFrom.offset)));
    jitter = fromAnnotation(d.jitterFrom?.annotation) ?? jitter;
    let ms = jitter > 0 ? this.opts.random.around(duration, jitter) : duration;
    if (d.capToGracePeriod) ms = Math.min(ms, (p.graceSeconds ?? 30) * 1000);
    return ms;
  }

  #arm(p: KubeletPod, stage: PodStageSpec, delayMs: number, attempt: number): void {
    const timer = setTimeout(() => void this.#fire(p, stage, attempt), Math.max(0, delayMs));
    this.#timers.set(p.key, { timer });
  }

  #cancel(key: string): void {
    const t = this.#timers.get(key);
    if (t) clearTimeout(t.timer);
    this.#timers.delete(key);
  }

  async #fire(p: KubeletPod, stage: PodStageSpec, attempt: number): Promise<void> {
    this.#timers.delete(p.key);
    const from = p.state;
    if (this.#stopped || this.#pods.get(p.key) !== p) return;
    const now = this.opts.now();
    try {
      if (stage.next.delete) {
        await this.writer.remove(p);
        this.forget(p.key);
        return;
      }
      if (stage.next.status) await this.writer.status(p, stageStatus(p, stage.next.status, now));
      for (const ev of stage.next.events ?? []) {
        for (const c of p.containers) {
          await this.writer.event(p, { ...ev, message: ev.message.replaceAll('{{container}}', c.name).replaceAll('{{image}}', c.image), container: c.name, image: c.image }, now);
        }
      }
      // Unless something moved the pod meanwhile (its deletion began), it goes on.
      if (this.#pods.get(p.key) === p && p.state === from) this.enter(p, stage.next.state!);
    } catch (e) {
      if (e instanceof StageWriteError && e.gone) {
        this.forget(p.key);
        return;
      }
      if (this.#pods.get(p.key) !== p || p.state !== from) return;
      const retryMs = e instanceof StageWriteError && e.retryAfterMs ? e.retryAfterMs : Math.min(10_000, 200 * 2 ** attempt);
      if (attempt === 3) this.opts.log(`kubelet ${p.node}: ${stage.name} of ${p.key} keeps failing: ${(e as Error).message}`);
      this.#arm(p, stage, retryMs, attempt + 1);
    }
  }
}

function matches(want: Record<string, string> | undefined, have: Record<string, string>): boolean {
  if (!want) return true;
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) return false;
  return true;
}
