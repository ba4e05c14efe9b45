import type { HealthSummary } from '../results/format.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HealthSample {
  /** Event-loop delay p99 over the last interval (ms). */
  lagP99Ms: number;
  /** CPU used by kbench over the last interval, as % of one core. */
  cpuPct: number;
  /** Resident memory at the sample (MiB): where in a run kbench's memory goes. */
  rssMiB: number;
  /** Length of the interval (ms): samples are weighted by it. */
  windowMs: number;
}

/** The harness is saturated in a second when its loop lags this much or it uses this much CPU. */
const LAG_LIMIT_MS = 100;
const CPU_LIMIT_PCT = 90;

/**
 * kbench watching itself: event-loop delay and CPU, sampled each interval. When the
 * harness was saturated for more than a tenth of the run, its own slowness is in the
 * measurements, and the result says so.
 */
export class HarnessHealth {
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  #cpu = process.cpuUsage();
  #at = performance.now();
  readonly samples: HealthSample[] = [];

  start(): void {
    this.#delay.enable();
  }

  stop(): void {
    this.#delay.disable();
  }

  sample(): HealthSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    const elapsedUs = (now - this.#at) * 1000;
    const s: HealthSample = {
      lagP99Ms: this.#delay.percentile(99) / 1e6,
      cpuPct: elapsedUs > 0 ? ((cpu.user + cpu.system) / elapsedUs) * 100 : 0,
      rssMiB: process.memoryUsage.rss() / 2 ** 20,
      windowMs: now - this.#at,
    };
    this.#delay.reset();
    this.#cpu = process.cpuUsage();
    this.#at = now;
    this.samples.push(s);
    return s;
  }

  summary(): HealthSummary {
    // Weighted by interval length: a short sample at a phase boundary counts for its length.
    const total = this.samples.reduce((a, s) => a + s.windowMs, 0) || 1;
    const lags = this.samples.map((s) => s.lagP99Ms).sort((a, b) => a - b);
    const seconds = this.samples.filter((s) => s.windowMs >= 900);
    const saturatedMs = this.samples.filter((s) => s.lagP99Ms > LAG_LIMIT_MS || s.cpuPct > CPU_LIMIT_PCT).reduce((a, s) => a + s.windowMs, 0);
    const share = saturatedMs / total;
    const out: HealthSummary = {
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      lagP99Ms: lags[Math.max(0, Math.ceil(0.99 * lags.length) - 1)] ?? 0,
      lagMaxMs: lags[lags.length - 1] ?? 0,
      cpuMeanPct: this.samples.reduce((a, s) => a + s.cpuPct * s.windowMs, 0) / total,
      // The peak over whole seconds: a few busy milliseconds at a boundary are not a peak.
      cpuMaxPct: Math.max(0, ...(seconds.length > 0 ? seconds : this.samples).map((s) => s.cpuPct)),
      saturatedShare: share,
      bottleneck: share > 0.1,
    };
    if (out.bottleneck) {
      out.reason = `kbench itself was saturated in ${(share * 100).toFixed(0)}% of the run (event-loop lag > ${LAG_LIMIT_MS} ms or CPU > ${CPU_LIMIT_PCT}% of a core): client-side latencies include its own delay`;
    }
    return out;
  }
}
