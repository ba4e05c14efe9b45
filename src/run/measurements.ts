import type { CollectConfig } from '../collect/config.js';
import { ControlPlaneMeasurement } from '../collect/control-plane.js';
import { PrometheusMeasurement } from '../collect/prometheus-measurement.js';
import { ApiMeasurement } from '../measure/api.js';
import { HarnessMeasurement } from '../measure/harness.js';
import type { Measurement, MeasureContext } from '../measure/measurement.js';
import { PodsMeasurement } from '../measure/pods.js';
import { MEASUREMENT_NAMES, type MeasurementName } from '../spec/measurements.js';

/** The measurements of one run, built from the registry, with the two the run itself uses named. */
export interface RunMeasurements {
  /** In the order they finish: each may read what an earlier one produced. */
  all: Measurement[];
  pods?: PodsMeasurement;
  api?: ApiMeasurement;
  names: MeasurementName[];
}

interface Built {
  pods?: PodsMeasurement;
  api?: ApiMeasurement;
  prometheus?: PrometheusMeasurement;
}

/**
 * name -> factory, in finish order: the control plane after Prometheus (its verdicts use
 * Prometheus for what scrapes could not read), the harness last (its memory peak comes
 * while the others write their files). A factory returns undefined when the run has
 * nothing for it (no Prometheus source, --no-collect).
 */
const REGISTRY: { [K in MeasurementName]: (ctx: MeasureContext, collect: CollectConfig | undefined, built: Built, on: ReadonlySet<MeasurementName>) => Measurement | undefined } = {
  pods: (ctx, _c, built) => (built.pods = new PodsMeasurement(ctx)),
  api: (ctx, _c, built) => (built.api = new ApiMeasurement(ctx)),
  prometheus: (ctx, c, built, on) => (c && c.prometheus.length > 0 ? (built.prometheus = new PrometheusMeasurement(ctx, c.prometheus, c.intervalMs, on.has('control-plane'))) : undefined),
  'control-plane': (ctx, c, built) => (c ? new ControlPlaneMeasurement(ctx, c, built.prometheus) : undefined),
  harness: () => new HarnessMeasurement(),
};

const FINISH_ORDER: MeasurementName[] = ['pods', 'api', 'prometheus', 'control-plane', 'harness'];

/** The measurements a workload leaves on (all by default), minus those the target gives nothing for. */
export function enabledMeasurements(switches: Partial<Record<MeasurementName, boolean>>, collect: CollectConfig | undefined): Set<MeasurementName> {
  const on = new Set(MEASUREMENT_NAMES.filter((n) => switches[n] !== false));
  if (!collect) {
    on.delete('control-plane');
    on.delete('prometheus');
  } else if (collect.sources.length === 0) on.delete('control-plane');
  return on;
}

export function createMeasurements(ctx: MeasureContext, on: ReadonlySet<MeasurementName>, collect: CollectConfig | undefined): RunMeasurements {
  const built: Built = {};
  const all: Measurement[] = [];
  const names: MeasurementName[] = [];
  for (const name of FINISH_ORDER) {
    if (!on.has(name)) continue;
    const m = REGISTRY[name](ctx, collect, built, on);
    if (!m) continue;
    all.push(m);
    names.push(name);
  }
  return { all, names, ...(built.pods ? { pods: built.pods } : {}), ...(built.api ? { api: built.api } : {}) };
}
