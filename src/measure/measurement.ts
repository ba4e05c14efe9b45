import type { KubeClient } from '../cluster/kube-client.js';
import type { PhaseResult, SloVerdict, Summary } from '../results/format.js';
import type { ResultWriter } from '../results/writer.js';
import type { MeasurementName } from '../spec/measurements.js';
import type { ResolvedPhase, ResolvedWorkload } from '../spec/resolve.js';

/** What every measurement of a run is given. */
export interface MeasureContext {
  runId: string;
  workload: ResolvedWorkload;
  /** The run's client: its calls are the run's API calls. */
  client: KubeClient;
  out: ResultWriter;
  info(line: string): void;
  /** Label selector of the pods to track: the run's own, or kbench collect's --selector. */
  podSelector: string;
  /** kbench collect: pods that exist when tracking starts are someone else's past, not measured. */
  ignoreExistingPods: boolean;
  /** The run's start as a compact UTC stamp, for perfdata file names. */
  stamp: string;
}

/** A measurement's part of summary.json. */
export type SummaryPart = Partial<Pick<Summary, 'pods' | 'api' | 'apiPercentiles' | 'limiterWaitMs' | 'harness' | 'collectors'>>;

export interface MeasurementResult {
  summary: SummaryPart;
  verdicts: SloVerdict[];
  warnings: string[];
}

/** Columns a measurement adds to timeseries.csv, and its values for one interval. */
export interface SeriesColumns {
  readonly columns: readonly string[];
  row(intervalS: number): (string | number)[];
}

/**
 * One measurement of a run (kube-burner's measurement factory, in TypeScript): started
 * before the first phase, told when each phase starts and ends, stopped after the last,
 * then asked for its part of the result set, which it writes, and the SLOs it judges.
 */
export interface Measurement {
  readonly name: MeasurementName;
  readonly series?: SeriesColumns;
  start(): Promise<void>;
  phaseStart?(phase: ResolvedPhase): Promise<void>;
  phaseEnd?(phase: ResolvedPhase, result: PhaseResult): Promise<void>;
  /** The last phase is over (or the run was cut short): stop watching and sampling. */
  stop(): Promise<void>;
  /** Writes its files and returns its part of summary.json and its verdicts. */
  finish(): Promise<MeasurementResult>;
}
