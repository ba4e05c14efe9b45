/** Exit codes of every kbench command (README "Exit codes"). */
export const EXIT = { ok: 0, failed: 1, badInput: 2, sloViolated: 3 } as const;

/** Bad input: a flag, a path, a spec. Exits 2 with the message as one paragraph. */
export class UsageError extends Error {}

/** The command ran but failed. Exits 1. */
export class RunError extends Error {}
