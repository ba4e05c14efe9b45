import type { Measurement, MeasurementResult, SeriesColumns } from './measurement.js';
import { HarnessHealth } from './harness-health.js';

/**
 * kbench watching itself: event-loop lag, CPU and memory every interval, peak memory at the end (after
 * every other measurement has written its files, where the peak comes). When the harness
 * was saturated, its own slowness is in the client-side numbers and the result says so.
 */
export class HarnessMeasurement implements Measurement {
  readonly name = 'harness';
  readonly health = new HarnessHealth();
  readonly series: SeriesColumns = {
    columns: ['harness_lag_p99_ms', 'harness_cpu_pct', 'harness_rss_mib'],
    row: () => {
      const h = this.health.sample();
      return [h.lagP99Ms.toFixed(1), h.cpuPct.toFixed(0), h.rssMiB.toFixed(0)];
    },
  };

  async start(): Promise<void> {
    this.health.start();
  }

  async stop(): Promise<void> {
    this.health.stop();
  }

  async finish(): Promise<MeasurementResult> {
    const harness = this.health.summary();
    return { summary: { harness }, verdicts: [], warnings: harness.bottleneck && harness.reason ? [harness.reason] : [] };
  }
}
