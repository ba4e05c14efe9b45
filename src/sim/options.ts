import type { PodStageSpec } from './kubelet/pod-stages.js';
import { simOptionDefaults, type SimSettingsOptions } from '../spec/sim-settings.js';

/**
 * Everything `kbench sim` / `startSim` can be told. The settings, their types, defaults and
 * the real component flag each models are defined once, in src/spec/sim-settings.ts; the
 * ones below are the sim's own until they join that table.
 */

export type StorageMode = 'auto' | 'etcd' | 'memory';

/** The type of a setting the table of src/spec/sim-settings.ts cannot say (the stage structure). */
export interface SimOwnOptions {
  /**
   * The pod lifecycle profile: a list of stages (kubelet/pod-stages.ts: selector, weight,
   * delay {duration, jitter}, next {state, status, events, delete}), or the path of a YAML or
   * JSON file holding one. Replaces the default profile, whose parameters are
   * podStartupDelayMs, podStartupJitterMs, podTerminationDelayMs and kubeletEvents.
   * @default the default profile
   */
  podStages?: PodStageSpec[] | string;
}

export type SimOptions = SimSettingsOptions &
  SimOwnOptions & {
    /** Progress and warnings. */
    log?: (line: string) => void;
  };

type Optional = 'etcdBinary' | 'kubeconfigOut' | 'dataDir' | 'podStages';

export type ResolvedSimOptions = Required<Omit<SimOptions, Optional>> & Pick<SimOptions, Optional>;

export const SIM_DEFAULTS = simOptionDefaults() as Omit<ResolvedSimOptions, 'log' | Optional>;

export function resolveSimOptions(o: SimOptions): ResolvedSimOptions {
  return { ...SIM_DEFAULTS, log: () => undefined, ...stripUndefined(o) } as ResolvedSimOptions;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
