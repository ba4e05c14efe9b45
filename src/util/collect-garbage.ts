import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, now. V8 collects the old generation when it reaches a limit set
 * from the live size at the last collection, so garbage of a large run stays until then and
 * what comes next (writing the result set, reading it back for the report) adds to it.
 * After a 150k-pod run the report alone added 120 MiB that way (kbench's peak 459 MiB
 * against 325 at the summary). Costs a few milliseconds a hundred MiB of live heap.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  // The flag shows `gc` in contexts made after it is set.
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') gc();
}
