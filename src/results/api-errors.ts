import type { ApiKeySummary } from './format.js';

export interface ApiErrorTotals {
  /** Calls made (each counted once, however many attempts it took). */
  calls: number;
  /** Calls that needed more than one attempt. */
  retriedAttempts: number;
  /** Failed attempts by code (429, 503, timeout, network), retried or final. */
  errors: Record<string, number>;
  /** Calls that failed after their retries, by final code. */
  failed: Record<string, number>;
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** The run's API errors, retries and failures over every request key. */
export function apiErrorTotals(api: readonly ApiKeySummary[]): ApiErrorTotals {
  const t: ApiErrorTotals = { calls: 0, retriedAttempts: 0, errors: {}, failed: {} };
  for (const k of api) {
    const failed = Object.values(k.failed).reduce((a, b) => a + b, 0);
    t.calls += k.count + failed;
    t.retriedAttempts += k.retries;
    add(t.errors, k.errors);
    add(t.failed, k.failed);
  }
  return t;
}

function codes(m: Record<string, number>): string {
  return Object.entries(m)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** One line: "API calls: 1,017; 2,034 retried attempts (429: 2,034); 0 failed after retries". */
export function apiErrorLine(t: ApiErrorTotals): string {
  const failed = Object.values(t.failed).reduce((a, b) => a + b, 0);
  const errs = Object.keys(t.errors).length ? ` (${codes(t.errors)})` : '';
  return `API calls: ${t.calls}; ${t.retriedAttempts} retried attempt${t.retriedAttempts === 1 ? '' : 's'}${errs}; ${failed} failed after retries${failed ? ` (${codes(t.failed)})` : ''}`;
}
