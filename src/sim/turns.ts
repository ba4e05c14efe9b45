/**
 * Lets work start at most `perTurn` times per turn of this thread's event loop; the rest
 * waits for the next turns, in order.
 *
 * Why: the sim's own components call its apiserver in-process, without a socket, and with
 * memory storage a request's whole handling is a chain of promise reactions. Hundreds of
 * them started together (a ReplicaSet's slow-start batch of pod creates) then run to the
 * end before Node reads a socket again, and an HTTP client such as kbench waits behind all
 * of them: seconds at the seeds' scale. A real apiserver serves every component over the
 * network, so there a client's request is not queued behind another client's burst. Taking
 * turns lets the event loop poll its sockets between small slices of in-process work.
 */
export class Turns {
  #startedThisTurn = 0;
  #turnScheduled = false;
  readonly #waiting: (() => void)[] = [];
  #head = 0;

  constructor(readonly perTurn: number) {}

  /** Resolves when the caller may start; undefined when it may start now. */
  take(): Promise<void> | undefined {
    // No turn pending means nobody waits (a turn that leaves waiters schedules the next): a new turn.
    if (!this.#turnScheduled) this.#startedThisTurn = 0;
    this.#scheduleTurn();
    if (this.#waiting.length === this.#head && this.#startedThisTurn < this.perTurn) {
      this.#startedThisTurn++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Callers waiting for a later turn. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  #scheduleTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    // setImmediate runs after the poll phase: sockets are read before the next slice.
    setImmediate(() => this.#nextTurn());
  }

  #nextTurn(): void {
    this.#turnScheduled = false;
    this.#startedThisTurn = 0;
    while (this.#head < this.#waiting.length && this.#startedThisTurn < this.perTurn) {
      this.#startedThisTurn++;
      this.#waiting[this.#head++]!();
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#head = 0;
    } else {
      // Drop the released part now and then, so the array does not grow without bound.
      if (this.#head > 1024) {
        this.#waiting.splice(0, this.#head);
        this.#head = 0;
      }
      this.#scheduleTurn();
    }
  }
}
