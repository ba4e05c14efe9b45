import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread of the sim from the module `name` beside the caller (`callerUrl`,
 * its import.meta.url): `<name>.js` from the bundle or tsc's output; from the sources
 * (tests), `<name>.ts` through tsx's loader, registered in the worker first.
 */
export function startWorker(callerUrl: string, name: string, data: unknown): Worker {
  if (callerUrl.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const entry = new URL(`./${name}.ts`, callerUrl).href;
    return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: data });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), { workerData: data });
}

/**
 * Messages to the other thread, sent together at most once every `intervalMs` (and at least
 * one turn of the event loop apart): each postMessage costs a wake-up of the receiving
 * thread, and under load the apiserver's thread turns its event loop thousands of times a
 * second; sending once per turn cost it about 3% of its time at the seeds' scale. A couple of
 * milliseconds is nothing next to a scheduling cycle's or an etcd write's own latency.
 */
export class Batcher<M> {
  #pending: M[] = [];
  #last = 0;

  constructor(
    private readonly send: (batch: M[]) => void,
    private readonly intervalMs = 2,
  ) {}

  post(m: M): void {
    if (this.#pending.length === 0) {
      const wait = this.#last + this.intervalMs - performance.now();
      if (wait > 0) setTimeout(() => this.flush(), wait);
      else setImmediate(() => this.flush());
    }
    this.#pending.push(m);
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#last = performance.now();
    this.send(batch);
  }
}
