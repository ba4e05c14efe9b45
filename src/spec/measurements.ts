/**
 * The measurements a run can take, by name. A workload turns any of them off under
 * `measurements:` (`control-plane: false`); `--no-collect` turns off the two that read the
 * control plane's own metrics. The registry that builds them is src/run/measurements.ts.
 */
export const MEASUREMENTS = {
  pods: 'pod startup: every pod of the run watched from creation to Ready (pods.csv, the pod startup SLO)',
  api: "client-side API latency per request key, errors and retries, the wait on kbench's own rate limiter (api.csv, histograms/)",
  harness: "kbench watching itself: event-loop lag, CPU, memory (whether the harness was the bottleneck)",
  'control-plane': "the control plane's own metrics: apiserver, scheduler, etcd, API Priority and Fairness (server-timeseries.csv, metrics/)",
  prometheus: 'queries to the Prometheus servers the workload or --prometheus names',
} as const;

export type MeasurementName = keyof typeof MEASUREMENTS;
export const MEASUREMENT_NAMES = Object.keys(MEASUREMENTS) as MeasurementName[];

/** The workload schema's `measurements:` block: each name on (true, the default) or off. */
export const MEASUREMENTS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'Turn measurements off by name (all are on by default).',
  properties: Object.fromEntries(MEASUREMENT_NAMES.map((n) => [n, { type: 'boolean', description: MEASUREMENTS[n] }])) as {
    readonly [K in MeasurementName]: { readonly type: 'boolean'; readonly description: string };
  },
} as const;
