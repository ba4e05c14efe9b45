import { POD_PHASE_NAMES, type PodsSummary, type SloVerdict } from '../results/format.js';
import { judge } from '../spec/slos.js';
import type { Measurement, MeasureContext, MeasurementResult, SeriesColumns } from './measurement.js';
import { LATE_READY, LATE_RUNNING, LATE_SCHEDULED, phaseSummaries, podPhases, type PodRecord } from './pod-phases.js';
import { PodTracker } from './pod-tracker.js';

const PERCENTILES = 'exact, nearest rank over every pod (pods.csv has each value)';

export const POD_COLUMNS = [
  'namespace',
  'name',
  'uid',
  'phase',
  'node',
  'create_sent',
  'created',
  'scheduled_server',
  'started_server',
  'ready_server',
  'first_seen',
  'scheduled_seen',
  'running_seen',
  'ready_seen',
  'deleted_seen',
  ...POD_PHASE_NAMES.map((p) => `${p}_ms`),
  'start',
  'clamped',
  'late',
] as const;

function iso(ms: number): string {
  return ms ? new Date(ms).toISOString() : '';
}

function round(v: number | undefined): string {
  return v === undefined ? '' : String(Math.round(v * 1000) / 1000);
}

/** One pods.csv row: every timestamp (ISO, ms) and phase (ms) of one pod. */
export function podRow(p: PodRecord): string[] {
  const ph = podPhases(p);
  const late = [p.late & LATE_SCHEDULED ? 'scheduled' : '', p.late & LATE_RUNNING ? 'running' : '', p.late & LATE_READY ? 'ready' : ''].filter(Boolean);
  return [
    p.namespace,
    p.name,
    p.uid,
    p.phase,
    p.node,
    iso(p.createSent),
    iso(p.created),
    iso(p.scheduledServer),
    iso(p.startedServer),
    iso(p.readyServer),
    iso(p.firstSeen),
    iso(p.scheduledSeen),
    iso(p.runningSeen),
    iso(p.readySeen),
    iso(p.deletedSeen),
    ...POD_PHASE_NAMES.map((n) => round(ph[n])),
    ph.start,
    ph.clamped.join(';'),
    late.join(';'),
  ];
}

/**
 * Pod startup: the tracker watches every pod of the run, then pods.csv gets one row per
 * pod, summary.json the exact percentiles of each phase, perfdata clusterloader2's
 * PodStartupLatency, and the pod startup SLO its verdict.
 */
export class PodsMeasurement implements Measurement {
  readonly name = 'pods';
  readonly tracker: PodTracker;
  readonly series: SeriesColumns;

  constructor(private readonly ctx: MeasureContext) {
    this.tracker = new PodTracker(ctx.client, ctx.podSelector, ctx.info, { ignoreExisting: ctx.ignoreExistingPods });
    const perS = (n: number, s: number): number => (s > 0 ? Math.round((n / s) * 10) / 10 : 0);
    this.series = {
      columns: ['pods_seen', 'pods_scheduled', 'pods_running', 'pods_ready', 'pods_pending', 'pods_created_per_s', 'pods_scheduled_per_s', 'pods_running_per_s', 'pods_deleted_per_s'],
      row: (s) => {
        const tick = this.tracker.takeTick();
        const cur = this.tracker.current();
        return [cur.seen, cur.scheduled, cur.running, cur.ready, cur.seen - cur.running, perS(tick.seen, s), perS(tick.scheduled, s), perS(tick.running, s), perS(tick.deleted, s)];
      },
    };
  }

  async start(): Promise<void> {
    this.tracker.start();
    await this.tracker.synced;
  }

  async stop(): Promise<void> {
    await this.tracker.stop();
  }

  async finish(): Promise<MeasurementResult> {
    const { out, workload: w } = this.ctx;
    const tracker = this.tracker;
    await out.writeCsvRows('pods.csv', POD_COLUMNS, (function* () {
      for (const p of tracker.pods()) yield podRow(p);
    })());
    const { phases, starts } = phaseSummaries({ size: this.tracker.size, values: () => this.tracker.pods() });
    const totals = this.tracker.totals;
    const pods: PodsSummary = {
      expected: w.expectedPods,
      seen: totals.seen,
      scheduled: totals.scheduled,
      running: totals.running,
      ready: totals.ready,
      deleted: totals.deleted,
      watch: { reconnects: this.tracker.reconnects, relists: this.tracker.relists },
      phases,
      starts,
      percentiles: PERCENTILES,
    };
    await out.writeJson(`PodStartupLatency_${w.name}_${this.ctx.stamp}.json`, podStartupPerfdata(phases));
    return { summary: { pods }, verdicts: [podStartupVerdict(phases, w.slo.podStartupP99)], warnings: [] };
  }
}

/** clusterloader2's PodStartupLatency perfdata of the pod phases. */
export function podStartupPerfdata(phases: PodsSummary['phases']): unknown {
  return {
    version: 'v1',
    dataItems: POD_PHASE_NAMES.flatMap((n) => {
      const s = phases[n];
      return s && s.count > 0 ? [{ data: { Perc50: s.p50, Perc90: s.p90, Perc99: s.p99 }, unit: 'ms', labels: { Metric: n } }] : [];
    }),
  };
}

/** The pod startup SLO's verdict. */
export function podStartupVerdict(phases: PodsSummary['phases'], thresholdMs: number): SloVerdict {
  return judge({
    id: 'pod_startup_p99',
    description: 'Pod startup p99 (creation to Running observed by watch)',
    side: 'client',
    threshold: thresholdMs,
    unit: 'ms',
    comparison: '<=',
    ...(phases.pod_startup?.count ? { value: phases.pod_startup.p99 } : {}),
    unavailable: 'no pod reached Running',
  });
}
