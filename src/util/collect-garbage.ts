import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, now. V8 collects the old generation when it reaches a limit set
 * from the live size at the last collection, so a large run's data stays after the run until
 * then, and reading the result set back for the report adds to it: after a 150k-pod run that
 * was 120 MiB more (kbench's peak 459 MiB against 325 at the summary). About 10 ms here for
 * a dropped 250 MB heap; the cost grows with what is still live.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  // The flag shows `gc` in contexts made after it is set.
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') gc();
}
