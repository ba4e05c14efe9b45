/** Exit codes of every kbench command (README "Exit codes"). */
export const EXIT = { ok: 0, failed: 1, badInput: 2, sloViolated: 3 } as const;

import { BadInputError } from '../util/errors.js';

/** Bad input: a flag, a path, a spec. Exits 2 with the message as one paragraph. */
export class UsageError extends BadInputError {}

/** The command ran but failed. Exits 1. */
export class RunError extends Error {}
