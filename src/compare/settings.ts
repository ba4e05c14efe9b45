/** How a comparison judges: the settings and their defaults (light: the CLI's flags read them). */

export type Group = 'pods' | 'api' | 'errors' | 'throughput' | 'server';
export const GROUPS: readonly Group[] = ['pods', 'api', 'errors', 'throughput', 'server'];

export interface CompareSettings {
  /** A change smaller than this (percent of A) is `unchanged`. */
  thresholdPct: number;
  /** Per-group overrides of thresholdPct (`--threshold api=50`). */
  groupThresholdPct: Partial<Record<Group, number>>;
  /** A latency change smaller than this is `unchanged` whatever its percentage. */
  noiseFloorMs: number;
  /**
   * A change of the scheduler's pending-queue max smaller than this is `unchanged`: below it
   * the max is timing luck (when in a burst the sample fell). Default a quarter of the SLO's 100.
   */
  noiseFloorPods: number;
  /** Fewer samples on either side than this (or than 1/(1-q) for a quantile q) is `inconclusive`. */
  minSamples: number;
  /** Seed of the bootstrap draws: the same inputs always give the same verdicts. */
  seed: number;
}

/**
 * Single runs vary from run to run beyond what one run's samples show (a shared machine,
 * GC, caches): latencies of individual API calls and server histograms vary most, so
 * their default threshold is wider.
 */
export const DEFAULT_SETTINGS: CompareSettings = { thresholdPct: 10, groupThresholdPct: { api: 25, server: 25 }, noiseFloorMs: 5, noiseFloorPods: 25, minSamples: 20, seed: 1 };

