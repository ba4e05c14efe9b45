import { FLAG_SIM_KEYS, flagOf, readSimSetting, SIM_SETTINGS, type SimSettingKey, type SimValue } from '../spec/sim-settings.js';
import { UsageError } from './errors.js';

/** startSim's options from parsed `kbench sim` flags (only the ones given). */
export function simOptionsFromFlags(args: Record<string, unknown>): Record<string, SimValue> {
  const out: Record<string, SimValue> = {};
  for (const key of FLAG_SIM_KEYS) {
    const v = args[flagOf(key)];
    if (v === undefined) continue;
    out[SIM_SETTINGS[key].option] = simSetting(key, v, `--${flagOf(key)}`);
  }
  return out;
}

/** One setting read from a flag or a workload key; bad input is a UsageError naming `where`. */
export function simSetting(key: SimSettingKey, value: unknown, where: string): SimValue {
  const r = readSimSetting(key, value);
  if (!r.ok) throw new UsageError(`${where}: ${r.message}`);
  return r.value;
}
