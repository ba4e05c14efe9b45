/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same
 * sequence, so runs that draw delays and jitter from it can be repeated.
 */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [base - jitter, base + jitter], never below 0. */
  around(base: number, jitter: number): number {
    return Math.max(0, base + (this.next() * 2 - 1) * jitter);
  }

  /** An independent generator derived from this one (for a sub-component). */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}

/** A seed from a string (a run id, a name), for deriving generators by name. */
export function seedFrom(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
