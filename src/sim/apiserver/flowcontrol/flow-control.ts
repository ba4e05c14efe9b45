import type { MetricsRegistry } from '../../metrics-registry.js';
import { ApfMetrics } from './apf-metrics.js';
import type { FlowSchemaDef, PriorityLevelDef } from './bootstrap.js';
import { byPrecedence, dealHand, flowDistinguisher, flowHash, matchesFlowSchema, type RequestDigest } from './match.js';
import { PriorityLevel, type RejectReason } from './priority-level.js';
import { allocateConcurrency, type AllocItem } from './seat-demand.js';
import { RetryAfterTracker } from './retry-after.js';

/** How often seats are lent and borrowed between levels (borrowingAdjustmentPeriod). */
export const BORROWING_ADJUSTMENT_MS = 10_000;
const SEAT_DEMAND_SMOOTHING = 0.977;

export interface FlowControlOptions {
  /** --max-requests-inflight + --max-mutating-requests-inflight, as the real server sums them. */
  serverConcurrencyLimit: number;
  /** How long a request may wait in a queue: a quarter of the 60 s request timeout. */
  waitLimitMs: number;
  schemas: readonly FlowSchemaDef[];
  levels: readonly PriorityLevelDef[];
  /** Object UIDs by name, for the response headers (the stored objects' metadata.uid). */
  uids: { flowSchemas: ReadonlyMap<string, string>; levels: ReadonlyMap<string, string> };
  registry: MetricsRegistry;
  now(): number;
}

/** What became of a request: it may run (call `finish` when done), or it was turned away. */
export type FlowOutcome =
  | { admitted: true; headers: Record<string, string>; waitedMs: number; finish(): void }
  | { admitted: false; headers: Record<string, string>; retryAfterSeconds: number; reason: RejectReason };

interface Route {
  schema: FlowSchemaDef;
  level: PriorityLevel;
  hand: number[];
  headers: Record<string, string>;
}

/**
 * kube-apiserver's API Priority and Fairness filter over the default configuration: each
 * request is classified by the first FlowSchema (in matching precedence) whose rules match
 * its user, verb and target, and executes within its priority level's share of the server's
 * concurrency, waiting in that level's queues before it is rejected with 429. Every 10 s
 * the levels lend unused seats to busy ones within their lendable percent.
 */
export class FlowControl {
  readonly levels = new Map<string, PriorityLevel>();
  readonly #schemas: FlowSchemaDef[];
  readonly #metrics: ApfMetrics;
  readonly #retryAfter: RetryAfterTracker;
  readonly #routes = new Map<string, Route>();
  readonly #hands = new Map<string, number[]>();
  /** A user's part of the classification key, made once per identity object. */
  readonly #userKeys = new WeakMap<object, string>();
  readonly #nominalSum: number;
  /** Whether some rule names particular namespaces (the defaults only say every namespace or none). */
  readonly #byNamespace: boolean;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: FlowControlOptions) {
    this.#schemas = byPrecedence(opts.schemas);
    this.#byNamespace = opts.schemas.some((fs) => fs.spec.rules.some((r) => (r.resourceRules ?? []).some((rr) => !(rr.namespaces ?? []).every((n) => n === '*'))));
    this.#metrics = new ApfMetrics(opts.registry);
    this.#retryAfter = new RetryAfterTracker(() => Math.floor(opts.now() / 1000));
    const shareSum = opts.levels.reduce((n, l) => n + (l.spec.exempt ?? l.spec.limited!).nominalConcurrencyShares, 0);
    for (const def of opts.levels) {
      const level = new PriorityLevel(def, opts.uids.levels.get(def.name) ?? '', opts.serverConcurrencyLimit, shareSum, opts.waitLimitMs, opts.now, {
        inqueue: (fs, delta, length) => {
          this.#metrics.inqueue.labels(fs, def.name).inc(delta);
          if (length !== undefined) this.#metrics.queueLength.labels(fs, def.name).observe(length);
        },
      });
      this.levels.set(def.name, level);
      this.#metrics.nominalLimit.labels(def.name).set(level.nominalCL);
      this.#metrics.lowerLimit.labels(def.name).set(level.minCL);
      this.#metrics.upperLimit.labels(def.name).set(level.maxCL);
      this.#metrics.currentLimit.labels(def.name).set(level.currentCL);
    }
    this.#nominalSum = [...this.levels.values()].reduce((n, l) => n + l.nominalCL, 0);
  }

  start(): void {
    this.#timer = setInterval(() => this.adjustBorrowing(), BORROWING_ADJUSTMENT_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const l of this.levels.values()) l.drain();
  }

  /** The FlowSchema and priority level a request belongs to. */
  classify(d: RequestDigest): { schema: FlowSchemaDef; level: PriorityLevel } {
    const r = this.#route(d);
    return { schema: r.schema, level: r.level };
  }

  #route(d: RequestDigest): Route {
    // Classification depends on the user, the verb and target, and whether a namespace is set
    // (which namespace, only when some rule names one).
    const ns = this.#byNamespace ? d.namespace : d.namespace === '' ? '' : '+';
    let userKey = this.#userKeys.get(d.user);
    if (userKey === undefined) this.#userKeys.set(d.user, (userKey = `${d.user.name}\u0000${d.user.groups.join(',')}`));
    const key = `${userKey}\u0000${d.isResource ? `${d.verb}\u0000${d.apiGroup}\u0000${d.resource}\u0000${d.subresource}\u0000${ns}` : `${d.verb}\u0000${d.path}`}`;
    let base = this.#routes.get(key);
    if (!base) {
      const schema = this.#schemas.find((fs) => matchesFlowSchema(d, fs)) ?? this.#schemas.find((fs) => fs.name === 'catch-all')!;
      const level = this.levels.get(schema.spec.priorityLevelConfiguration.name)!;
      const headers = {
        'X-Kubernetes-PF-FlowSchema-UID': this.opts.uids.flowSchemas.get(schema.name) ?? '',
        'X-Kubernetes-PF-PriorityLevel-UID': level.uid,
      };
      if (this.#routes.size > 100_000) this.#routes.clear();
      this.#routes.set(key, (base = { schema, level, hand: [], headers }));
    }
    if (!base.level.queuing) return base;
    // The flow (and its hand of queues) also depends on the distinguisher: user or namespace.
    const distinguisher = flowDistinguisher(d, base.schema);
    const handKey = `${base.schema.name}\u0000${distinguisher}`;
    let hand = this.#hands.get(handKey);
    if (!hand) {
      const q = base.level.queuing;
      hand = q.queues > 1 ? dealHand(flowHash(base.schema.name, distinguisher), q.queues, q.handSize) : [0];
      if (this.#hands.size > 100_000) this.#hands.clear();
      this.#hands.set(handKey, hand);
    }
    return { ...base, hand };
  }

  /** Admits a request (now, after waiting in a queue, or not at all). */
  async admit(d: RequestDigest): Promise<FlowOutcome> {
    const route = this.#route(d);
    const { schema, level, headers } = route;
    const start = this.opts.now();
    const decision = level.admit(schema.name, route.hand);
    let outcome: 'execute' | RejectReason;
    if (decision.kind === 'wait') outcome = await decision.outcome;
    else outcome = decision.kind === 'execute' ? 'execute' : decision.reason;
    const waitedMs = this.opts.now() - start;
    if (!level.exempt) this.#metrics.waitDuration.labels(outcome === 'execute' ? 'true' : 'false', schema.name, level.name).observe(waitedMs / 1000);
    if (outcome !== 'execute') {
      this.#metrics.rejected.labels(schema.name, level.name, outcome).inc();
      this.#retryAfter.recordDropped(level.name);
      return { admitted: false, headers, retryAfterSeconds: this.#retryAfter.retryAfter(level.name), reason: outcome };
    }
    this.#metrics.dispatched.labels(schema.name, level.name).inc();
    const [executing, seats] = this.#metrics.executingOf(schema.name, level.name);
    executing.inc();
    seats.inc();
    let finished = false;
    return {
      admitted: true,
      headers,
      waitedMs,
      finish: () => {
        if (finished) return;
        finished = true;
        executing.inc(-1);
        seats.inc(-1);
        level.finish();
      },
    };
  }

  /**
   * updateBorrowingLocked: each limited level's seat limit for the next period, from its
   * seat demand over the last one, between its lower bound (nominal minus lendable) and
   * upper bound; exempt levels' use comes off the top.
   */
  adjustBorrowing(): void {
    const now = this.opts.now();
    let remaining = this.#nominalSum;
    let minSum = 0;
    let minCurrentSum = 0;
    const limited: { level: PriorityLevel; minCurrent: number; item: AllocItem }[] = [];
    for (const level of this.levels.values()) {
      level.demand.reset(now, SEAT_DEMAND_SMOOTHING);
      if (level.exempt) {
        remaining -= Math.max(level.minCL, level.demand.highWatermark);
        continue;
      }
      const minCurrent = Math.max(level.minCL, Math.min(level.nominalCL, level.demand.highWatermark));
      limited.push({ level, minCurrent, item: { lowerBound: minCurrent, upperBound: level.maxCL, target: Math.max(minCurrent, level.demand.smoothed) } });
      minSum += level.minCL;
      minCurrentSum += minCurrent;
    }
    let allocs: number[];
    if (remaining <= minSum) allocs = limited.map((l) => l.level.minCL);
    else if (remaining <= minCurrentSum) {
      const share = (remaining - minSum) / (minCurrentSum - minSum);
      allocs = limited.map((l) => l.level.minCL + Math.round((l.minCurrent - l.level.minCL) * share));
    } else {
      allocs = allocateConcurrency(this.#nominalSum, limited.map((l) => l.item)).map((a) => Math.round(a));
    }
    limited.forEach((l, i) => {
      l.level.currentCL = allocs[i]!;
      this.#metrics.currentLimit.labels(l.level.name).set(l.level.currentCL);
      l.level.dispatch();
    });
  }
}
