/**
 * The four patch types the apiserver accepts: JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902), strategic merge patch (list merge keys and `$patch` directives, for the fields
 * kubectl sends) and apply patch (server-side apply, approximated as a strategic merge).
 */
import { cloneJson, isRecord } from './types.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

/**
 * A patch that could not be applied. `decode`: the patch itself is not of its type's shape
 * (400 BadRequest); otherwise it failed against the object (a JSON patch's 422).
 */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly decode = false,
  ) {
    super(message);
  }
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (ct) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return ct.endsWith('yaml') ? 'apply' : undefined;
    default:
      return undefined;
  }
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isRecord(patch)) return cloneJson(patch);
  const out: JsonObject = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw new PatchError(`doc is missing path: "${path}": missing value`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const t of decodePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function arrayIndex(arr: Json[], key: string, forAdd: boolean, path: string): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new PatchError(`invalid array index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i >= arr.length)) throw new PatchError(`array index out of bounds at "${path}"`);
  return i;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, value);
  else parent[key] = value;
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = decodePointer(path);
  if (tokens.length === 0) throw new PatchError('cannot remove the whole document');
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, path), 1);
  else {
    if (!(key in parent)) throw new PatchError(`unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations', true);
  let doc = cloneJson(target);
  for (const raw of ops) {
    if (!isRecord(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError('each JSON patch operation needs "op" and "path"');
    }
    const { op, path } = raw;
    switch (op) {
      case 'add':
        doc = addAt(doc, path, cloneJson(raw.value));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace': {
        // evanphx/json-patch v4, as the apiserver uses it: replacing a missing key of an
        // object sets it; a missing list element is an error.
        const tokens = decodePointer(path);
        const target = tokens.length > 0 ? parentOf(doc, tokens, path) : undefined;
        if (!target || Array.isArray(target.parent)) {
          getAt(doc, path);
          doc = removeAt(doc, path);
        }
        doc = addAt(doc, path, cloneJson(raw.value));
        break;
      }
      case 'move': {
        const from = String(raw.from);
        const v = getAt(doc, from);
        doc = removeAt(doc, from);
        doc = addAt(doc, path, v);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, cloneJson(getAt(doc, String(raw.from))));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value)) {
          throw new PatchError(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}

/**
 * Merge keys of lists that strategic merge patch merges element-wise (from the patchMergeKey
 * tags of the built-in types). `ports` depends on the parent: container ports merge on
 * containerPort, service ports on port. Lists not named here are replaced.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  taints: 'key',
  addresses: 'type',
  resourceClaims: 'name',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
};

/** Lists of scalars that merge as sets rather than being replaced. */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, parentField: string | undefined): string | undefined {
  if (field === 'ports') return parentField === 'containers' || parentField === 'initContainers' ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  return smpObject(isRecord(target) ? target : {}, patch, undefined);
}

function smpObject(target: JsonObject, patch: Json, parentField: string | undefined): JsonObject {
  if (!isRecord(patch)) throw new PatchError('strategic merge patch must be a JSON object', true);
  const directive = patch.$patch;
  if (directive === 'replace') {
    const { $patch: _d, ...rest } = patch;
    return stripDirectives(rest) as JsonObject;
  }
  if (directive === 'delete') return {};
  const out: JsonObject = { ...target };
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys.map(String)) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue; // ordering only; merged order is kept
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) {
        const drop = new Set(v.map((x) => JSON.stringify(x)));
        out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (Array.isArray(v)) {
      out[k] = smpList(Array.isArray(cur) ? cur : [], v, k, parentField);
    } else if (isRecord(v)) {
      out[k] = isRecord(cur) ? smpObject(cur, v, k) : smpObject({}, v, k);
    } else {
      out[k] = v;
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  return out;
}

function smpList(target: Json[], patch: Json[], field: string, parentField: string | undefined): Json[] {
  const mergeKey = mergeKeyFor(field, parentField);
  if (MERGED_SCALAR_LISTS.has(field)) {
    const out = [...target];
    for (const v of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
    return out;
  }
  if (!mergeKey) {
    // A `$patch: replace` marker element may appear; otherwise the list is replaced.
    return patch.filter((e) => !(isRecord(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  if (patch.some((e) => isRecord(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isRecord(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  const out: Json[] = target.map((e) => e);
  for (const p of patch) {
    if (!isRecord(p)) {
      out.push(p);
      continue;
    }
    const keyVal = JSON.stringify(p[mergeKey]);
    const idx = out.findIndex((e) => isRecord(e) && JSON.stringify(e[mergeKey]) === keyVal);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpObject(out[idx] as JsonObject, p, field);
    else out.push(smpObject({}, p, field));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isRecord(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
