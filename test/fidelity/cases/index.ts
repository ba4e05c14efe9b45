import type { CaseFile } from '../case-types.js';
import { controllers } from './controllers.js';
import { defaults } from './defaults.js';
import { deletion } from './deletion.js';
import { errors } from './errors.js';
import { lists } from './lists.js';
import { metrics } from './metrics.js';
import { selectors } from './selectors.js';
import { watch } from './watch.js';
import { writes } from './writes.js';

/** Every case file, in the order they run (metrics last: every family has seen traffic by then). */
export const CASE_FILES: CaseFile[] = [errors, writes, defaults, lists, selectors, watch, deletion, controllers, metrics];
