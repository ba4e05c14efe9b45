import type { SchedulerCore } from './scheduler-core.js';

/** Work done in one go before yielding to the event loop (ms). */
const SLICE_MS = 10;
/** How often backoff expiry and the unschedulable flush are checked (the real: 1 s and 30 s). */
const TICK_MS = 200;

/**
 * Drives a SchedulerCore: scheduling cycles in slices between which the event loop runs
 * (watch events, binding results), and the queue's periodic tick. The same in the sim's
 * main thread and in the scheduler's own thread.
 */
export class SchedulerLoop {
  #stopped = false;
  #loop: Promise<void> | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(readonly core: SchedulerCore) {}

  start(): void {
    this.#ticker = setInterval(() => this.core.tick(), TICK_MS);
    this.#ticker.unref();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.core.queue.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.core.queue.waitForWork();
      const sliceStart = performance.now();
      while (!this.#stopped && performance.now() - sliceStart < SLICE_MS && this.core.scheduleOne());
      // Let watches, bindings and status writes run between slices.
      await new Promise((r) => setImmediate(r));
    }
  }
}
