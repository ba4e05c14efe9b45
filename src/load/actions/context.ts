import type { CallOptions, CallResult, KubeClient } from '../../cluster/kube-client.js';
import type { ResourceType } from '../../cluster/resources.js';
import type { ResolvedPhase } from '../../spec/resolve.js';
import type { Random } from '../../util/random.js';
import type { TokenBucket } from '../../util/token-bucket.js';

export interface CreatedObject {
  type: ResourceType;
  namespace: string;
  name: string;
}

/** What the actions of one run share. */
export interface RunContext {
  client: KubeClient;
  runId: string;
  workload: string;
  namespaces: string[];
  random: Random;
  /** Objects each create phase made, for the phases that act on them. */
  objects: Map<string, CreatedObject[]>;
  onLimiterWait(ms: number): void;
  onCreateSent(namespace: string, name: string): void;
}

/** An API call behind the phase's rate limiter; the wait is recorded apart from the call. */
export class LimitedApi {
  constructor(
    private readonly ctx: RunContext,
    private readonly limiter: TokenBucket,
  ) {}

  async call(method: string, path: string, opts?: CallOptions): Promise<CallResult> {
    if (!this.limiter.unlimited) this.ctx.onLimiterWait(await this.limiter.take());
    return this.ctx.client.call(method, path, opts);
  }
}

/** One operation of a phase: index i; resolves true, or why it failed (the API's answer). */
export type Operation = (i: number) => Promise<true | string>;

/** Builds a phase's operation once, before its first call (templates compiled, paths chosen). */
export type ActionFactory = (phase: ResolvedPhase, ctx: RunContext, api: LimitedApi) => Operation;

export function ok(r: CallResult): boolean {
  return r.status >= 200 && r.status < 300;
}

/** true for a 2xx answer, else the answer in a line: `422 Invalid: ...`. */
export function outcome(r: CallResult, what: string): true | string {
  if (ok(r)) return true;
  let reason = '';
  let message = r.body;
  try {
    const st = JSON.parse(r.body) as { reason?: string; message?: string };
    reason = st.reason ?? '';
    message = st.message ?? r.body;
  } catch {
    // not a Status
  }
  return `${what}: ${r.status}${reason ? ` ${reason}` : ''}: ${message}`.replace(/\s+/g, ' ').slice(0, 300);
}

/** The objects an earlier create phase made. */
export function objectsOf(ctx: RunContext, from: string): CreatedObject[] {
  return ctx.objects.get(from) ?? [];
}
