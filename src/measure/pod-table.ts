import type { PodRecord } from './pod-phases.js';

/** The numeric fields of a PodRecord, in the order the table stores them per row. */
export const TIME_FIELDS = [
  'createSent',
  'created',
  'scheduledServer',
  'startedServer',
  'readyServer',
  'firstSeen',
  'scheduledSeen',
  'runningSeen',
  'readySeen',
  'deletedSeen',
] as const;
export type TimeField = (typeof TIME_FIELDS)[number];
const SLOT = Object.fromEntries(TIME_FIELDS.map((f, i) => [f, i])) as Record<TimeField, number>;
const NT = TIME_FIELDS.length;

// Small fields per row, in one Uint32Array: interned namespace, phase and node, and flags.
const NAMESPACE = 0;
const PHASE = 1;
const NODE = 2;
const FLAGS = 3;
const NU = 4;
/** Flag bits above the LATE_* bits (which use 1, 2 and 4). */
const FIRST_SEEN_LIVE = 1 << 8;
const LATE_MASK = 0xff;

const CHUNK_BITS = 14;
const NO_NODE = 0;
const CHUNK = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK - 1;

/** Strings that repeat across pods (namespaces, phases, nodes), kept once each. */
class Interner {
  readonly #ids = new Map<string, number>();
  readonly #strings: string[] = [];

  constructor() {
    this.id(''); // id 0 (NO_NODE): a row starts without a node
  }

  id(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#strings.length;
      this.#strings.push(s);
      this.#ids.set(s, id);
    }
    return id;
  }

  string(id: number): string {
    return this.#strings[id]!;
  }
}

export interface NewPod {
  uid: string;
  namespace: string;
  name: string;
  phase: string;
  createSent: number;
  created: number;
  firstSeen: number;
  firstSeenLive: boolean;
}

/**
 * Every tracked pod's record, by row, in typed arrays: 150,000 pods as JS objects cost about
 * 550 heap bytes each (boxed doubles, one string copy per pod for the namespace and node);
 * here a row is 112 bytes outside V8's heap plus its uid and name. Rows are stored in fixed
 * chunks, so growing never copies and never leaves half a buffer unused.
 */
export class PodTable {
  readonly #row = new Map<string, number>();
  readonly #uids: string[] = [];
  readonly #names: string[] = [];
  readonly #times: Float64Array[] = [];
  readonly #small: Uint32Array[] = [];
  readonly #strings = new Interner();

  get size(): number {
    return this.#uids.length;
  }

  /** The row of the pod with this uid, if tracked. */
  row(uid: string): number | undefined {
    return this.#row.get(uid);
  }

  add(p: NewPod): number {
    const r = this.#uids.length;
    if ((r & IN_CHUNK) === 0) {
      this.#times.push(new Float64Array(CHUNK * NT));
      this.#small.push(new Uint32Array(CHUNK * NU));
    }
    this.#row.set(p.uid, r);
    this.#uids.push(p.uid);
    this.#names.push(p.name);
    const s = this.#small[r >>> CHUNK_BITS]!;
    const b = (r & IN_CHUNK) * NU;
    s[b + NAMESPACE] = this.#strings.id(p.namespace);
    s[b + PHASE] = this.#strings.id(p.phase);
    s[b + NODE] = NO_NODE;
    s[b + FLAGS] = p.firstSeenLive ? FIRST_SEEN_LIVE : 0;
    this.set(r, 'createSent', p.createSent);
    this.set(r, 'created', p.created);
    this.set(r, 'firstSeen', p.firstSeen);
    return r;
  }

  get(r: number, f: TimeField): number {
    return this.#times[r >>> CHUNK_BITS]![(r & IN_CHUNK) * NT + SLOT[f]]!;
  }

  set(r: number, f: TimeField, v: number): void {
    this.#times[r >>> CHUNK_BITS]![(r & IN_CHUNK) * NT + SLOT[f]] = v;
  }

  uid(r: number): string {
    return this.#uids[r]!;
  }

  phase(r: number): string {
    return this.#strings.string(this.#small[r >>> CHUNK_BITS]![(r & IN_CHUNK) * NU + PHASE]!);
  }

  setNode(r: number, node: string): void {
    this.#small[r >>> CHUNK_BITS]![(r & IN_CHUNK) * NU + NODE] = this.#strings.id(node);
  }

  /** Marks transitions learned late (LATE_* bits). */
  addLate(r: number, bits: number): void {
    const s = this.#small[r >>> CHUNK_BITS]!;
    const i = (r & IN_CHUNK) * NU + FLAGS;
    s[i] = s[i]! | (bits & LATE_MASK);
  }

  /** A fresh object with the row's values; changing it does not change the table. */
  record(r: number): PodRecord {
    const t = this.#times[r >>> CHUNK_BITS]!;
    const s = this.#small[r >>> CHUNK_BITS]!;
    const tb = (r & IN_CHUNK) * NT;
    const sb = (r & IN_CHUNK) * NU;
    const flags = s[sb + FLAGS]!;
    return {
      uid: this.#uids[r]!,
      namespace: this.#strings.string(s[sb + NAMESPACE]!),
      name: this.#names[r]!,
      phase: this.#strings.string(s[sb + PHASE]!),
      node: this.#strings.string(s[sb + NODE]!),
      createSent: t[tb + SLOT.createSent]!,
      created: t[tb + SLOT.created]!,
      scheduledServer: t[tb + SLOT.scheduledServer]!,
      startedServer: t[tb + SLOT.startedServer]!,
      readyServer: t[tb + SLOT.readyServer]!,
      firstSeen: t[tb + SLOT.firstSeen]!,
      firstSeenLive: (flags & FIRST_SEEN_LIVE) !== 0,
      scheduledSeen: t[tb + SLOT.scheduledSeen]!,
      runningSeen: t[tb + SLOT.runningSeen]!,
      readySeen: t[tb + SLOT.readySeen]!,
      deletedSeen: t[tb + SLOT.deletedSeen]!,
      late: flags & LATE_MASK,
    };
  }

  /** Every row as a fresh PodRecord, in the order pods were first seen. */
  *records(): IterableIterator<PodRecord> {
    for (let r = 0; r < this.#uids.length; r++) yield this.record(r);
  }
}
