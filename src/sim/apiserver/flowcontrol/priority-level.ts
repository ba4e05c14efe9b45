import type { PriorityLevelDef, QueuingConfiguration } from './bootstrap.js';
import { SeatDemand } from './seat-demand.js';

export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out';

/** A request waiting in one of the level's queues. */
interface Waiting {
  flowSchema: string;
  queue: number;
  enqueuedAt: number;
  timer: NodeJS.Timeout;
  done(outcome: 'execute' | RejectReason): void;
}

/** The level's decision for a request, now or after waiting in a queue. */
export type Admission = { kind: 'execute' } | { kind: 'reject'; reason: RejectReason } | { kind: 'wait'; outcome: Promise<'execute' | RejectReason> };

export interface LevelEvents {
  /** A request of `flowSchema` entered (+1) or left (-1) a queue. */
  inqueue(flowSchema: string, delta: number, queueLength?: number): void;
}

/**
 * One priority level's share of the server's concurrency and its queues (a queueSet): a
 * request that finds a free seat executes at once; otherwise it joins the shortest queue
 * of its flow's hand (shuffle sharding) unless that queue is at queueLengthLimit, and waits
 * at most `waitLimitMs` (a quarter of the request timeout) for a seat. Freed seats go to the
 * non-empty queues in turn, round robin: fair queuing for requests of equal cost (the real
 * queueSet orders by virtual finish time, which differs only when requests' seats and
 * durations differ; every request takes one seat here).
 */
export class PriorityLevel {
  readonly exempt: boolean;
  readonly queuing: QueuingConfiguration | undefined;
  readonly nominalCL: number;
  readonly minCL: number;
  readonly maxCL: number;
  currentCL: number;
  executing = 0;
  waiting = 0;
  readonly demand: SeatDemand;
  readonly #queues: Waiting[][];
  #next = 0;
  #enqueues = 0;

  constructor(
    readonly def: PriorityLevelDef,
    readonly uid: string,
    serverCL: number,
    shareSum: number,
    private readonly waitLimitMs: number,
    private readonly now: () => number,
    private readonly events: LevelEvents,
  ) {
    const common = def.spec.exempt ?? def.spec.limited!;
    this.exempt = def.spec.type === 'Exempt';
    const limit = def.spec.limited?.limitResponse;
    this.queuing = limit?.type === 'Queue' ? limit.queuing : undefined;
    this.nominalCL = Math.ceil((serverCL * common.nominalConcurrencyShares) / shareSum);
    const lendable = Math.round((this.nominalCL * common.lendablePercent) / 100);
    const borrowing = def.spec.limited?.borrowingLimitPercent;
    this.minCL = this.nominalCL - lendable;
    this.maxCL = this.nominalCL + (borrowing === undefined ? serverCL : Math.round((this.nominalCL * borrowing) / 100));
    this.currentCL = this.nominalCL - Math.floor(lendable / 2);
    this.#queues = Array.from({ length: this.queuing?.queues ?? 0 }, () => []);
    this.demand = new SeatDemand(now());
  }

  get name(): string {
    return this.def.name;
  }

  /** Decides for a request of `flowSchema` whose flow was dealt `hand` (queue indexes). */
  admit(flowSchema: string, hand: readonly number[]): Admission {
    if (this.exempt) {
      this.#started();
      return { kind: 'execute' };
    }
    if (!this.queuing) {
      // Reject type: the concurrency limit alone.
      if (this.executing >= this.currentCL) return { kind: 'reject', reason: 'concurrency-limit' };
      this.#started();
      return { kind: 'execute' };
    }
    const offset = this.#enqueues++ % hand.length;
    let best = hand[offset]!;
    for (let i = 1; i < hand.length; i++) {
      const q = hand[(offset + i) % hand.length]!;
      if (this.#queues[q]!.length < this.#queues[best]!.length) best = q;
    }
    const queue = this.#queues[best]!;
    if (this.executing >= this.currentCL && queue.length >= this.queuing.queueLengthLimit) return { kind: 'reject', reason: 'queue-full' };
    if (this.executing < this.currentCL && this.waiting === 0) {
      // The real queueSet enqueues and dispatches at once (in-queue count +1 then -1): the
      // flow's apiserver_flowcontrol_current_inqueue_requests series exists, at 0.
      this.events.inqueue(flowSchema, 0);
      this.#started();
      return { kind: 'execute' };
    }
    const outcome = new Promise<'execute' | RejectReason>((resolve) => {
      const w: Waiting = {
        flowSchema,
        queue: best,
        enqueuedAt: this.now(),
        timer: setTimeout(() => this.#timeOut(w), this.waitLimitMs),
        done: resolve,
      };
      queue.push(w);
      this.waiting++;
      this.events.inqueue(flowSchema, 1, queue.length);
      this.#noteDemand();
    });
    this.dispatch();
    return { kind: 'wait', outcome };
  }

  /** A request of this level finished executing: its seat goes to the next in line. */
  finish(): void {
    this.executing--;
    this.#noteDemand();
    this.dispatch();
  }

  /** Hands free seats to waiting requests, one queue after another. */
  dispatch(): void {
    while (this.waiting > 0 && this.executing < this.currentCL) {
      let q = this.#next;
      while (this.#queues[q]!.length === 0) q = (q + 1) % this.#queues.length;
      this.#next = (q + 1) % this.#queues.length;
      const w = this.#queues[q]!.shift()!;
      clearTimeout(w.timer);
      this.waiting--;
      this.events.inqueue(w.flowSchema, -1);
      this.#started();
      w.done('execute');
    }
  }

  #started(): void {
    this.executing++;
    this.#noteDemand();
  }

  #timeOut(w: Waiting): void {
    const queue = this.#queues[w.queue]!;
    const i = queue.indexOf(w);
    if (i < 0) return;
    queue.splice(i, 1);
    this.waiting--;
    this.events.inqueue(w.flowSchema, -1);
    this.#noteDemand();
    w.done('time-out');
  }

  #noteDemand(): void {
    this.demand.set(this.executing + this.waiting, this.now());
  }

  /** Rejects everything waiting (the server is stopping). */
  drain(): void {
    for (const queue of this.#queues) {
      for (const w of queue.splice(0)) {
        clearTimeout(w.timer);
        this.events.inqueue(w.flowSchema, -1);
        w.done('time-out');
      }
    }
    this.waiting = 0;
  }
}
