/**
 * One fidelity case is a row of data: the requests to send to both targets and what of
 * their answers to compare. `{ns}` in a path or body is the case file's namespace;
 * `${name.dotted.path}` is a value from an earlier answer saved as `name` (on the same target).
 */

/** What of two answers must agree. */
export type Compare =
  /** the status code and the whole body, normalised (default) */
  | 'all'
  /** the status code only */
  | 'code'
  /** the status code and a Status' kind, status, reason, details and causes (not the message) */
  | 'reason'
  /** the status code and these dotted paths of the normalised body (`items[].metadata.name` maps over a list) */
  | { fields: string[] }
  /** nothing: a setup step (its status code must still be 2xx on both) */
  | 'none';

export const CONTENT_TYPES = {
  json: 'application/json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  jsonpatch: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
  text: 'text/plain',
} as const;

export interface Request {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** the Content-Type: a key of CONTENT_TYPES (PATCH defaults to merge, others to json) */
  type?: keyof typeof CONTENT_TYPES;
  compare?: Compare;
  /** the Accept header (Table, PartialObjectMetadata); JSON by default */
  accept?: string;
  /** keep this answer's body under this name */
  save?: string;
  /** the body is a saved answer's body, then `set` applied (dotted paths; null removes) */
  from?: string;
  set?: Record<string, unknown>;
  /** re-order every object's keys (reversed), as a client re-encoding a struct would */
  reorder?: boolean;
  /** repeat this GET until the dotted path has this value (controllers and nodes move it) */
  until?: { field: string; equals?: unknown; present?: boolean; includes?: unknown };
}

/** Opens a watch, sends `then`, waits for `events` events (or a BOOKMARK with `untilBookmark`), compares them. */
export interface WatchStep {
  watch: string;
  then?: Request[];
  events?: number;
  untilBookmark?: boolean;
  /** compared of each event: its type and these dotted paths of the normalised object */
  fields: string[];
}

/** Compares one metric family's type, label names and bucket bounds. */
export interface MetricsStep {
  metrics: 'apiserver' | 'scheduler' | 'etcd';
  family: string;
}

export type Step = Request | WatchStep | MetricsStep;

export type Case = { id: string; what?: string } & (Request | WatchStep | MetricsStep | { steps: Step[] });

export interface CaseFile {
  /** the namespace the file's cases use, `{ns}` */
  namespace: string;
  cases: Case[];
}

/** A difference that stays: the case that shows it and why it is not fixed. */
export interface KnownDifference {
  id: string;
  why: string;
}
