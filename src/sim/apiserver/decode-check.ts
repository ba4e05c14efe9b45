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

interface CompiledField {
  /** Path segments; `each` marks a segment whose array elements are walked. */
  segments: { key: string; each: boolean }[];
  type: FieldType;
  /** The decoder's name for the field: Struct.json.path. */
  at: string;
}

const META_FIELDS: TypedField[] = [
  { path: 'metadata.name', type: 'string', struct: 'ObjectMeta' },
  { path: 'metadata.generateName', type: 'string', struct: 'ObjectMeta' },
  { path: 'metadata.labels', type: 'map<string>', struct: 'ObjectMeta' },
  { path: 'metadata.annotations', type: 'map<string>', struct: 'ObjectMeta' },
  { path: 'metadata.finalizers', type: 'array', struct: 'ObjectMeta' },
  { path: 'metadata.ownerReferences', type: 'array', struct: 'ObjectMeta' },
];

function compile(fields: readonly TypedField[]): CompiledField[] {
  return [...META_FIELDS, ...fields].map((f) => ({
    segments: f.path.split('.').map((seg) => (seg.endsWith('[]') ? { key: seg.slice(0, -2), each: true } : { key: seg, each: false })),
    type: f.type,
    at: `${f.struct}.${f.path.replaceAll('[]', '')}`,
  }));
}

/** Compiled once per resource's field list: this runs on every write. */
const compiled = new WeakMap<readonly TypedField[], CompiledField[]>();
const NO_FIELDS: readonly TypedField[] = [];

/** The first problem at `f` under `v` from segment `i` on: [what was found, Go type], or undefined. */
function check(v: unknown, f: CompiledField, i: number): [string, string] | undefined {
  if (i === f.segments.length) {
    const found = mismatch(v, f.type);
    if (found !== undefined) return [found, GO_TYPE[f.type]];
    // A map of strings: each value must be a string too.
    if (f.type === 'map<string>' && isRecord(v)) {
      for (const x of Object.values(v)) if (x !== null && typeof x !== 'string') return [jsonKind(x), 'string'];
    }
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  const seg = f.segments[i]!;
  const next = v[seg.key];
  if (next === undefined) return undefined;
  if (!seg.each) return check(next, f, i + 1);
  if (!Array.isArray(next)) return undefined;
  for (const el of next) {
    const bad = check(el, f, i + 1);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Returns the decoder's 400 for the first field of the wrong type, or undefined. Checked
 * before defaulting, on the body of a create or update and on the result of a patch.
 */
export function decodeError(kind: string, version: string, obj: unknown, fields: readonly TypedField[] = NO_FIELDS): ApiError | undefined {
  let list = compiled.get(fields);
  if (!list) compiled.set(fields, (list = compile(fields)));
  for (const f of list) {
    const bad = check(obj, f, 0);
    if (bad) return decodeFailure(kind, version, `json: cannot unmarshal ${bad[0]} into Go struct field ${f.at} of type ${bad[1]}`);
  }
  return undefined;
}

function decodeFailure(kind: string, version: string, detail: string): ApiError {
  return errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`);
}
