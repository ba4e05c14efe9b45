import { semanticEqual } from '../semantic-equal.js';
import type { StatusCause } from '../status.js';
import { cloneJson, isRecord } from '../types.js';
import { forbidden, invalidValue, required } from './validation.js';

/**
 * Which changes an update may make to a pod's spec, as the real ValidatePodUpdate
 * (k8s.io/kubernetes pkg/apis/core/validation) decides on the decoded values: container and
 * init container images; activeDeadlineSeconds set from unset or lowered; tolerations added
 * (an existing one may change only its tolerationSeconds); scheduling gates removed;
 * terminationGracePeriodSeconds set to 1 when it was negative; and, while the pod is gated,
 * additions to its nodeSelector and required node affinity. Everything else must be
 * semantically equal (key order, omitted empty fields and quantity spelling do not count).
 */

type Json = Record<string, unknown>;

const MAX_INT32 = 2 ** 31 - 1;

/** The field list of the real message, in its order. */
const UPDATABLE_FIELDS =
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function list(spec: Json, field: string): Json[] {
  const v = spec[field];
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function gateNames(spec: Json): string[] {
  return list(spec, 'schedulingGates').map((g) => (typeof g.name === 'string' ? g.name : ''));
}

function containerCauses(next: Json, old: Json, field: 'containers' | 'initContainers'): { causes: StatusCause[]; stop: boolean } {
  const n = list(next, field);
  if (n.length !== list(old, field).length) {
    return { causes: [forbidden(`spec.${field}`, 'pod updates may not add or remove containers')], stop: true };
  }
  const causes: StatusCause[] = [];
  n.forEach((c, i) => {
    const image = typeof c.image === 'string' ? c.image : '';
    if (image === '') causes.push(required(`spec.${field}[${i}].image`));
    else if (image.trim() !== image) causes.push(invalidValue(`spec.${field}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { causes, stop: false };
}

function activeDeadlineCauses(next: Json, old: Json): StatusCause[] {
  const n = num(next.activeDeadlineSeconds);
  const o = num(old.activeDeadlineSeconds);
  if (n !== undefined) {
    if (n < 0 || n > MAX_INT32) return [invalidValue('spec.activeDeadlineSeconds', n, `must be between 0 and ${MAX_INT32}, inclusive`)];
    if (o !== undefined && o < n) return [invalidValue('spec.activeDeadlineSeconds', n, 'must be less than or equal to previous value')];
  } else if (o !== undefined) {
    return [invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value')];
  }
  return [];
}

/** Every old toleration must still be there; only its tolerationSeconds may differ. */
function tolerationCauses(next: Json, old: Json): StatusCause[] {
  const n = list(next, 'tolerations');
  for (const o of list(old, 'tolerations')) {
    const found = n.some((t) => semanticEqual({ ...o, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

function gateCauses(next: Json, old: Json): StatusCause[] {
  const before = new Set(gateNames(old));
  return gateNames(next)
    .map((name, i) => ({ name, i }))
    .filter((g) => !before.has(g.name))
    .map((g) => forbidden(`spec.schedulingGates[${g.i}].name`, `only deletion is allowed, but found new scheduling gate '${g.name}'`));
}

function nodeSelectorCauses(next: unknown, old: unknown): StatusCause[] {
  const n = isRecord(next) ? next : {};
  for (const [k, v] of Object.entries(isRecord(old) ? old : {})) {
    if (n[k] !== v) return [invalidValue('spec.nodeSelector', n, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)')];
  }
  return [];
}

function requiredTerms(nodeAffinity: unknown): Json[] | undefined {
  if (!isRecord(nodeAffinity) || !isRecord(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)) return undefined;
  const terms = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  return Array.isArray(terms) ? terms.filter(isRecord) : [];
}

/** A node selector term may only gain requirements (old ones first, unchanged). */
function termOnlyAdds(next: Json, old: Json): boolean {
  const exprs = (t: Json, f: string): unknown[] => (Array.isArray(t[f]) ? (t[f] as unknown[]) : []);
  const oe = exprs(old, 'matchExpressions');
  const of = exprs(old, 'matchFields');
  if (oe.length === 0 && of.length === 0 && (exprs(next, 'matchExpressions').length > 0 || exprs(next, 'matchFields').length > 0)) return false;
  for (const [o, n] of [
    [oe, exprs(next, 'matchExpressions')],
    [of, exprs(next, 'matchFields')],
  ] as const) {
    if (o.length > 0 && (n.length < o.length || !semanticEqual(n.slice(0, o.length), o))) return false;
  }
  return true;
}

function nodeAffinityCauses(next: unknown, old: unknown): StatusCause[] {
  const oldTerms = requiredTerms(old);
  if (oldTerms === undefined) return [];
  const newTerms = requiredTerms(next) ?? [];
  const path = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  if (oldTerms.length > 0 && oldTerms.length !== newTerms.length) {
    return [invalidValue(path, newTerms, 'no additions/deletions to non-empty NodeSelectorTerms list are allowed')];
  }
  return oldTerms.flatMap((o, i) => (termOnlyAdds(newTerms[i]!, o) ? [] : [invalidValue(`${path}[${i}]`, newTerms[i], 'only additions are allowed (no mutations or deletions)')]));
}

/** Gated pods may narrow where they go: their node selector and node affinity are checked apart. */
function mungeGated(munged: Json, old: Json, causes: StatusCause[]): void {
  if (!semanticEqual(munged.nodeSelector, old.nodeSelector)) {
    causes.push(...nodeSelectorCauses(munged.nodeSelector, old.nodeSelector));
    munged.nodeSelector = old.nodeSelector;
  }
  const oldAffinity = isRecord(old.affinity) ? old.affinity : undefined;
  const newAffinity = isRecord(munged.affinity) ? munged.affinity : undefined;
  if (semanticEqual(oldAffinity?.nodeAffinity, newAffinity?.nodeAffinity)) return;
  causes.push(...nodeAffinityCauses(newAffinity?.nodeAffinity, oldAffinity?.nodeAffinity));
  if (!newAffinity) munged.affinity = { nodeAffinity: oldAffinity?.nodeAffinity };
  else if (!oldAffinity && newAffinity.podAffinity === undefined && newAffinity.podAntiAffinity === undefined) delete munged.affinity;
  else munged.affinity = { ...newAffinity, nodeAffinity: oldAffinity?.nodeAffinity };
}

function copyField(to: Json, from: Json, field: string): void {
  if (from[field] === undefined) delete to[field];
  else to[field] = from[field];
}

/** The causes of a refused pod spec update, or none. Both specs are defaulted. */
export function validatePodSpecUpdate(next: Json, old: Json): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['containers', 'initContainers'] as const) {
    const r = containerCauses(next, old, field);
    causes.push(...r.causes);
    if (r.stop) return causes;
  }
  const deadline = activeDeadlineCauses(next, old);
  if (deadline.length > 0 && num(next.activeDeadlineSeconds) !== undefined) return [...causes, ...deadline];
  causes.push(...deadline, ...tolerationCauses(next, old), ...gateCauses(next, old));
  if (semanticEqual(next, old)) return causes;

  // The fields allowed to change take their old values; what still differs was not allowed.
  const munged: Json = cloneJson(next);
  for (const field of ['containers', 'initContainers'] as const) {
    const olds = list(old, field);
    list(munged, field).forEach((c, i) => (c.image = olds[i]?.image));
  }
  for (const field of ['activeDeadlineSeconds', 'schedulingGates', 'tolerations']) copyField(munged, old, field);
  const oldGrace = num(old.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (gateNames(old).length > 0) mungeGated(munged, old, causes);
  if (!semanticEqual(munged, old)) causes.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS}`));
  return causes;
}
