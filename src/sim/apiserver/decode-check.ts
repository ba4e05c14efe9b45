import { errors, type ApiError } from './status.js';
import { isRecord } from './types.js';

/**
 * The JSON types of the fields the sim's clients read, checked the way the real apiserver's
 * decode into Go structs would fail: a string where an int32 is, a number out of int32
 * range, a label value that is not a string. The real server answers these with 400
 * BadRequest before any validation; without the check the sim would store what typed
 * clients (client-go informers) then cannot decode. Not a schema: only the listed fields.
 */
export type FieldType = 'int32' | 'int64' | 'string' | 'bool' | 'map<string>' | 'array' | 'object';

export interface TypedField {
  /** Dotted JSON path; `[]` after a segment means every element of that array. */
  path: string;
  type: FieldType;
  /** The Go struct that holds the field, as the decoder's message names it. */
  struct: string;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** What encoding/json calls a JSON value in an UnmarshalTypeError. */
function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'string' ? 'string' : 'object';
}

/** undefined when `v` decodes into `type`; else what the decoder says it found. */
function mismatch(v: unknown, type: FieldType): string | undefined {
  // null decodes into any Go field as its zero value.
  if (v === null || v === undefined) return undefined;
  switch (type) {
    case 'int32':
    case 'int64':
      if (typeof v !== 'number') return jsonKind(v);
      if (!Number.isInteger(v)) return `number ${v}`;
      if (type === 'int32' && (v < INT32_MIN || v > INT32_MAX)) return `number ${v}`;
      if (!Number.isSafeInteger(v)) return `number ${v}`;
      return undefined;
    case 'string':
      return typeof v === 'string' ? undefined : jsonKind(v);
    case 'bool':
      return typeof v === 'boolean' ? undefined : jsonKind(v);
    case 'array':
      return Array.isArray(v) ? undefined : jsonKind(v);
    case 'object':
    case 'map<string>':
      return isRecord(v) ? undefined : jsonKind(v);
  }
}

const GO_TYPE: Record<FieldType, string> = {
  int32: 'int32',
  int64: 'int64',
  string: 'string',
  bool: 'bool',
  'map<string>': 'map[string]string',
  array: 'slice',
  object: 'struct',
};

/** Every value at `path` (arrays expanded at `[]`), with its concrete path. */
function valuesAt(obj: unknown, segments: string[]): unknown[] {
  let current: unknown[] = [obj];
  for (const seg of segments) {
    const each = seg.endsWith('[]');
    const key = each ? seg.slice(0, -2) : seg;
    const next: unknown[] = [];
    for (const c of current) {
      if (!isRecord(c)) continue;
      const v = c[key];
      if (each) {
        if (Array.isArray(v)) next.push(...v);
      } else if (v !== undefined) next.push(v);
    }
    current = next;
  }
  return current;
}

const META_FIELDS: TypedField[] = [
  { path: 'metadata.name', type: 'string', struct: 'ObjectMeta' },
  { path: 'metadata.generateName', type: 'string', struct: 'ObjectMeta' },
  { path: 'metadata.labels', type: 'map<string>', struct: 'ObjectMeta' },
  { path: 'metadata.annotations', type: 'map<string>', struct: 'ObjectMeta' },
  { path: 'metadata.finalizers', type: 'array', struct: 'ObjectMeta' },
  { path: 'metadata.ownerReferences', type: 'array', struct: 'ObjectMeta' },
];

/**
 * Returns the decoder's 400 for the first field of the wrong type, or undefined. Checked
 * before defaulting, on the body of a create or update and on the result of a patch.
 */
export function decodeError(kind: string, version: string, obj: unknown, fields: readonly TypedField[] = []): ApiError | undefined {
  for (const f of [...META_FIELDS, ...fields]) {
    const at = `${f.struct}.${f.path.replaceAll('[]', '')}`;
    for (const v of valuesAt(obj, f.path.split('.'))) {
      const found = mismatch(v, f.type);
      if (found !== undefined) return decodeFailure(kind, version, `json: cannot unmarshal ${found} into Go struct field ${at} of type ${GO_TYPE[f.type]}`);
      // A map of strings: each value must be a string too.
      if (f.type === 'map<string>' && isRecord(v)) {
        const bad = Object.values(v).find((x) => x !== null && typeof x !== 'string');
        if (bad !== undefined) return decodeFailure(kind, version, `json: cannot unmarshal ${jsonKind(bad)} into Go struct field ${at} of type string`);
      }
    }
  }
  return undefined;
}

function decodeFailure(kind: string, version: string, detail: string): ApiError {
  return errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`);
}
