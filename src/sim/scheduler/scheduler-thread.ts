import type { Worker } from 'node:worker_threads';
import { LocalApiError } from '../local-client.js';
import type { SchedNode, SchedPod } from './sched-types.js';
import type { SchedulerApi } from './scheduler-core.js';
import { Batcher, startWorker } from '../threads.js';
import type { ApiFailure, FromScheduler, SchedulerThreadData, ToScheduler } from './scheduler-protocol.js';

/** What the main thread's scheduler half asks of the scheduling half, wherever it runs. */
export interface SchedulingHalf {
  nodeChanged(n: SchedNode): void;
  nodeDeleted(name: string): void;
  /** `old`: the previous state of a pod not yet bound. */
  podChanged(p: SchedPod, old?: SchedPod): void;
  podDeleted(p: SchedPod): void;
  /** Where its /metrics is served. */
  readonly metricsUrl: string;
  /** Its /metrics text. */
  metrics(): Promise<{ contentType: string; body: string }>;
  stop(): Promise<void>;
}

function failure(e: unknown): ApiFailure {
  if (e instanceof LocalApiError) return { code: e.code, reason: e.reason, message: e.message };
  return { code: 0, reason: '', message: e instanceof Error ? e.message : String(e) };
}

/**
 * The scheduling half of the simulated kube-scheduler in a worker thread: on a 2-core
 * machine the sim's apiserver, controllers and kubelets keep one core and the scheduling
 * cycles (filter and score over hundreds of nodes per pod) get the other, as the real
 * kube-scheduler is a process of its own. What crosses between the threads is small: the
 * scheduler's view of pods and nodes (only changes that matter to scheduling), and the
 * bindings, Events and status writes it asks for, which are sent here through its clients.
 */
export class SchedulerThread implements SchedulingHalf {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  readonly #out: Batcher<ToScheduler>;
  readonly #metrics = new Map<number, (m: { contentType: string; body: string }) => void>();
  #nextMetrics = 0;
  #stopped = false;
  metricsUrl = '';

  /** Called once if the thread ends without being stopped (an uncaught error in it). */
  onDied: ((why: string) => void) | undefined;
  #error = '';

  private constructor(data: SchedulerThreadData, api: SchedulerApi, log: (line: string) => void) {
    this.#worker = startWorker(import.meta.url, 'scheduler-worker', data);
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        if (!this.#stopped && this.metricsUrl) this.onDied?.(this.#error || `exit code ${code}`);
        this.#stopped = true;
        // Nobody is left to answer a /metrics request still out.
        for (const answer of this.#metrics.values()) answer({ contentType: 'text/plain; charset=utf-8', body: '' });
        this.#metrics.clear();
        resolve();
      }),
    );
    this.#out = new Batcher((batch) => this.#worker.postMessage(batch));
    this.#worker.on('message', (batch: FromScheduler[]) => {
      for (const m of batch) this.#receive(m, api, log);
    });
    this.#worker.on('error', (e) => (this.#error = e.message));
  }

  #receive(m: FromScheduler, api: SchedulerApi, log: (line: string) => void): void {
    switch (m.t) {
      case 'log':
        log(m.line);
        break;
      case 'bind':
        api.bind(m.pod, m.node).then(
          () => this.#post({ t: 'bound', id: m.id }),
          (e: unknown) => this.#post({ t: 'bound', id: m.id, failure: failure(e) }),
        );
        break;
      case 'scheduled':
        void api.scheduled(m.pod, m.node, m.now);
        break;
      case 'unschedulable':
        void api.unschedulable(m.pod, m.message, m.now);
        break;
      case 'metrics':
        this.#metrics.get(m.id)?.({ contentType: m.contentType, body: m.body });
        this.#metrics.delete(m.id);
        break;
    }
  }

  static async start(data: SchedulerThreadData, api: SchedulerApi, log: (line: string) => void): Promise<SchedulerThread> {
    const t = new SchedulerThread(data, api, log);
    try {
      t.metricsUrl = await new Promise<string>((resolve, reject) => {
        const onMessage = ([m]: FromScheduler[]): void => {
          if (m?.t === 'ready') done(() => resolve(m.metricsUrl));
          else if (m?.t === 'failed') done(() => reject(new Error(`the scheduler's thread did not start: ${m.message}`)));
        };
        const onError = (e: Error): void => done(() => reject(new Error(`the scheduler's thread did not start: ${e.message}`)));
        const onExit = (code: number): void => done(() => reject(new Error(`the scheduler's thread exited with code ${code} before it was ready`)));
        const done = (then: () => void): void => {
          t.#worker.off('message', onMessage).off('error', onError).off('exit', onExit);
          then();
        };
        t.#worker.on('message', onMessage).once('error', onError).once('exit', onExit);
      });
    } catch (e) {
      await t.#worker.terminate();
      throw e;
    }
    return t;
  }

  #post(m: ToScheduler): void {
    if (!this.#stopped) this.#out.post(m);
  }

  nodeChanged(node: SchedNode): void {
    this.#post({ t: 'node', node });
  }

  nodeDeleted(name: string): void {
    this.#post({ t: 'nodeDeleted', name });
  }

  podChanged(pod: SchedPod, old?: SchedPod): void {
    this.#post(old ? { t: 'pod', pod, old } : { t: 'pod', pod });
  }

  podDeleted(pod: SchedPod): void {
    this.#post({ t: 'podDeleted', key: pod.key });
  }

  metrics(): Promise<{ contentType: string; body: string }> {
    if (this.#stopped) return Promise.resolve({ contentType: 'text/plain; charset=utf-8', body: '' });
    const id = this.#nextMetrics++;
    return new Promise((resolve) => {
      this.#metrics.set(id, resolve);
      this.#post({ t: 'metrics', id });
    });
  }

  /** Stops the scheduling loop and its /metrics; the thread is ended after 5 s if it has not. */
  async stop(): Promise<void> {
    this.#post({ t: 'stop' });
    this.#out.flush();
    this.#stopped = true;
    const timer = setTimeout(() => void this.#worker.terminate(), 5000);
    await this.#exited;
    clearTimeout(timer);
  }
}
