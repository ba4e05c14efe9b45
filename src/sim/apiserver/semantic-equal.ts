import { parseQuantity } from '../quantity.js';
import { isRecord } from './types.js';

/**
 * Equality of two API values as the real apiserver judges it (apiequality.Semantic.DeepEqual
 * on the decoded Go structs), not as JSON text: key order does not matter; a field that is
 * null, empty ([] or {}) or a zero scalar decodes as if it were absent (omitempty fields and
 * nil-versus-empty slices and maps compare equal); resource quantities compare by value
 * ("100m" equals "0.1").
 *
 * Approximation: Go tells a pointer to a zero value from a nil pointer (`hostUsers: false`
 * versus absent); this does not, so it accepts a few such changes the real server refuses.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return equalCanonical(canonical(a, false), canonical(b, false));
}

/** Keys whose values are maps of resource quantities, or a quantity itself. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'overhead', 'capacity', 'allocatable']);
const QUANTITY_FIELDS = new Set(['sizeLimit']);

/** The value with empty fields dropped and quantities as numbers; undefined when empty. */
function canonical(v: unknown, quantity: boolean): unknown {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return undefined;
  if (quantity) {
    const q = parseQuantity(v);
    if (q !== undefined) return q === 0 ? undefined : q;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    // Elements keep their places: an empty element is still an element.
    return v.map((x) => canonical(x, false) ?? null);
  }
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [k, x] of Object.entries(v)) {
      const c = QUANTITY_MAPS.has(k) && isRecord(x) ? canonicalQuantities(x) : canonical(x, QUANTITY_FIELDS.has(k));
      if (c !== undefined) {
        out[k] = c;
        any = true;
      }
    }
    return any ? out : undefined;
  }
  return v;
}

function canonicalQuantities(m: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, x] of Object.entries(m)) {
    const c = canonical(x, true);
    if (c !== undefined) {
      out[k] = c;
      any = true;
    }
  }
  return any ? out : undefined;
}

function equalCanonical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => equalCanonical(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && equalCanonical(a[k], b[k]));
  }
  return false;
}
