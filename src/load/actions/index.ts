import type { ActionName } from '../../spec/schema.js';
import type { ActionFactory } from './context.js';
import { create } from './create.js';
import { get, list } from './reads.js';
import { del, patch, scale, update } from './writes.js';

export { LimitedApi, type CreatedObject, type Operation, type RunContext } from './context.js';

/** The API actions a phase can take, by name (wait and sleep are not API calls: run-phases does them). */
export const ACTION_FACTORIES: Record<Exclude<ActionName, 'wait' | 'sleep'>, ActionFactory> = { create, get, list, patch, update, scale, delete: del };

export function isApiAction(a: ActionName): a is keyof typeof ACTION_FACTORIES {
  return a in ACTION_FACTORIES;
}
