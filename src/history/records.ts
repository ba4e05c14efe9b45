import type { MeasurementValue } from './measurements.js';

/**
 * What the history keeps of one run. `status` is the result set's own (`complete`,
 * `interrupted`, `failed`), or `unfinished` for a folder whose manifest still says
 * `running` and that has no summary (killed, or still running): such a run has its
 * identity and nothing else.
 */
export interface RunIdentity {
  runId: string;
  workload: string;
  workloadSha256: string;
  status: string;
  mode: string;
  /** ISO 8601, UTC. */
  startedAt: string;
  endedAt?: string;
  durationS?: number;
  targetKind: string;
  targetServer: string;
  targetContext?: string;
  serverVersion?: string;
  nodes?: number;
  kbenchVersion: string;
  seed?: number;
  /** The folder it was read from (absolute). */
  source: string;
}

export interface SloRecord {
  id: string;
  side: string;
  description: string;
  verdict: string;
  value?: number;
  threshold: number;
  comparison: string;
  unit: string;
  reason?: string;
}

export interface RunRecord {
  identity: RunIdentity;
  measurements: MeasurementValue[];
  slo: SloRecord[];
  /** The run's place in its series (from 1), when it belongs to one. */
  seriesIndex?: number;
}

/**
 * One `history add` argument read: a single result set (in a series when its manifest
 * says so), or every run of a series folder (`whole`: the input names all its runs).
 */
export interface HistoryInput {
  source: string;
  series?: { id: string; workload: string; workloadSha256: string; size: number; whole: boolean };
  runs: RunRecord[];
}

/** A run as stored, with what `add` recorded beside the result set. */
export interface StoredRun extends RunIdentity {
  gitCommit?: string;
  seriesId?: string;
  seriesIndex?: number;
  addedAt: string;
}

/** Runs that count in trends and checks unless asked otherwise. */
export const COMPLETE = 'complete';
