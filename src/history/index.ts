/**
 * The run history as a library: read result sets and series, store them (SQLite or
 * PostgreSQL), query series of measurements, and find change points in them. The
 * `kbench history` commands (src/cli/history.ts) are one user of it; the nightly job and
 * the detection benchmark are others.
 */
export { type ChangePoint, type ChangePointOptions, DEFAULT_CHANGE_OPTIONS, findChangePoints } from './change-points.js';
export { analyseSeries, checkHistory, type CheckOptions, type MeasurementCheck, type WorkloadSeries, DEFAULT_LAST, DEFAULT_NEW_WITHIN, HistoryQueryError } from './check.js';
export { DatabaseError, type Database } from './db/database.js';
export { DEFAULT_HISTORY_DB, DatabaseUrlError } from './db/open.js';
export { DEFAULT_EDIVISIVE, eDivisive, type EDivisiveOptions, qhatValues } from './e-divisive.js';
export { betterOf, isKeyMeasurement, measurementsOf, type MeasurementValue } from './measurements.js';
export { MIGRATIONS, migrate } from './migrations.js';
export { openHistory } from './open-history.js';
export type { HistoryInput, RunRecord, StoredRun } from './records.js';
export { HistoryInputError, readHistoryInput } from './result-input.js';
export { HistoryConflictError, HistoryStore, type SeriesPoint } from './store.js';
