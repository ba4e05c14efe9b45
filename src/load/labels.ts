/** The labels on everything kbench creates: cleanup deletes only what carries its run's. */
export const RUN_LABEL = 'kbench.io/run';
export const WORKLOAD_LABEL = 'kbench.io/workload';
export const PHASE_LABEL = 'kbench.io/phase';

/** A run id as kbench makes them: `20261122t043000-a1b2c3` (UTC time, then 3 random bytes). */
export const RUN_ID_PATTERN = /^\d{8}t\d{6}-[0-9a-f]{6}$/;
