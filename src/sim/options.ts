import { simOptionDefaults, type SimSettingsOptions } from '../spec/sim-settings.js';

/**
 * Everything `kbench sim` / `startSim` can be told. The settings, their types, defaults and
 * the real component flag each models are defined once, in src/spec/sim-settings.ts.
 */

export type StorageMode = 'auto' | 'etcd' | 'memory';

export type SimOptions = SimSettingsOptions & {
  /** Progress and warnings. */
  log?: (line: string) => void;
};

type Optional = 'etcdBinary' | 'kubeconfigOut' | 'dataDir';

export type ResolvedSimOptions = Required<Omit<SimOptions, Optional>> & Pick<SimOptions, Optional>;

export const SIM_DEFAULTS = simOptionDefaults() as Omit<ResolvedSimOptions, 'log' | Optional>;

export function resolveSimOptions(o: SimOptions): ResolvedSimOptions {
  return { ...SIM_DEFAULTS, log: () => undefined, ...stripUndefined(o) } as ResolvedSimOptions;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
