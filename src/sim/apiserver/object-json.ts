import type { KubeObject } from './types.js';

/**
 * Objects are kept as JSON text with `apiVersion`, `kind`, `metadata` first, and without a
 * resourceVersion (as the real apiserver stores them); the resourceVersion is spliced in
 * when the object is read, which avoids a parse and stringify per read and per watcher.
 */
export function toStoredJson(obj: KubeObject): string {
  // Fast path: most objects already have this shape (clients write apiVersion and kind first).
  let i = 0;
  let ordered = obj.metadata.resourceVersion === undefined;
  for (const k in obj) {
    if (i > 2) break;
    if (k !== (i === 0 ? 'apiVersion' : i === 1 ? 'kind' : 'metadata')) ordered = false;
    i++;
  }
  if (ordered) return JSON.stringify(obj);
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata;
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

const META = '"metadata":{';

/** The stored JSON parsed, with `metadata.resourceVersion` set to `rv`: a fresh object. */
export function parseWithResourceVersion(stored: string, rv: number): KubeObject {
  const obj = JSON.parse(stored) as KubeObject;
  obj.metadata.resourceVersion = String(rv);
  return obj;
}

/** Returns the stored JSON with `metadata.resourceVersion` set to `rv`. */
export function withResourceVersion(stored: string, rv: number): string {
  const i = stored.indexOf(META);
  // Stored JSON starts with apiVersion and kind, so the first `"metadata":{` is the object's own.
  if (i < 0 || i > 200) {
    const obj = JSON.parse(stored) as KubeObject;
    obj.metadata = { ...obj.metadata, resourceVersion: String(rv) };
    return JSON.stringify(obj);
  }
  const at = i + META.length;
  const sep = stored[at] === '}' ? '' : ',';
  return `${stored.slice(0, at)}"resourceVersion":"${rv}"${sep}${stored.slice(at)}`;
}
