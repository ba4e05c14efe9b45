import type { PhaseResult } from '../results/format.js';
import type { ResolvedPhase } from '../spec/resolve.js';

/** What the console shows of a running phase. */
export interface ProgressView {
  phase: ResolvedPhase;
  phaseNumber: number;
  phaseCount: number;
  done: number;
  total: number;
  elapsedMs: number;
  /** Pods of the run, when the pods measurement is on. */
  pods?: { seen: number; scheduled: number; running: number; expected: number };
  requestsPerS: number;
}

/** What happens during a run, as typed events (the console and tests listen to them). */
export type RunEvent =
  | { type: 'run-start'; runId: string; dir: string }
  | { type: 'info'; line: string }
  | { type: 'phase-start'; phase: ResolvedPhase; number: number; count: number }
  | { type: 'phase-end'; phase: ResolvedPhase; result: PhaseResult }
  | { type: 'progress'; view: ProgressView }
  /** The run's namespaces are being deleted; the cleanup waits up to `waitMs` for them to go. */
  | { type: 'cleanup-start'; namespaces: number; waitMs: number };

export interface RunListener {
  (event: RunEvent): void;
}
