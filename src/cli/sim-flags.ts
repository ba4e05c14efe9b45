import type { Argv } from 'yargs';
import { FLAG_SIM_KEYS, flagOf, readSimSetting, SIM_SETTINGS, type SimSettingKey } from '../spec/sim-settings.js';
import { UsageError } from './errors.js';

/** `kbench sim`'s flags, one per setting of src/spec/sim-settings.ts (the key in kebab-case). */
export function withSimFlags<T>(y: Argv<T>): Argv<T> {
  let out = y;
  for (const key of FLAG_SIM_KEYS) {
    const d = SIM_SETTINGS[key];
    const schema: { type?: string; enum?: readonly string[] } = d.schema;
    const real = 'real' in d ? ` (${d.real.component} ${d.real.flag})` : '';
    const def = 'default' in d ? ` [default: ${String(d.default)}]` : '';
    out = out.option(flagOf(key), {
      // Numbers are read by readSimSetting, so `--nodes lots` is an error, not NaN.
      type: schema.type === 'boolean' ? 'boolean' : 'string',
      describe: `${d.describe}${real}${def}`,
      ...(schema.enum ? { choices: [...schema.enum] } : {}),
    });
  }
  return out;
}

/** startSim's options from parsed `kbench sim` flags (only the ones given). */
export function simOptionsFromFlags(args: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const key of FLAG_SIM_KEYS) {
    const v = args[flagOf(key)];
    if (v === undefined) continue;
    out[SIM_SETTINGS[key].option] = simSetting(key, v, `--${flagOf(key)}`);
  }
  return out;
}

/** One setting read from a flag or a workload key; bad input is a UsageError naming `where`. */
export function simSetting(key: SimSettingKey, value: unknown, where: string): string | number | boolean {
  const r = readSimSetting(key, value);
  if (!r.ok) throw new UsageError(`${where}: ${r.message}`);
  return r.value;
}
