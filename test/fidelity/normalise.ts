/**
 * What differs between any two clusters and says nothing about fidelity: uids, times,
 * resourceVersions, generated names, managedFields, IPs, node names (kwok-node-3 and
 * sim-node-0003 are both node-3), pod-template hashes, continue tokens.
 */

type Json = unknown;

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const NODE = /\b(?:sim-node-0*(\d+)|kwok-node-(\d+))\b/g;
const IP = /^\d{1,3}(\.\d{1,3}){3}$/;
const DROP = new Set(['managedFields', 'selfLink']);
const RV_KEYS = new Set(['resourceVersion', 'continue']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Values that are generated per cluster, found in the body first so their every use is hidden. */
function generatedValues(v: Json, out: Map<string, string>): void {
  if (Array.isArray(v)) for (const x of v) generatedValues(x, out);
  else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'pod-template-hash' && typeof x === 'string' && x) out.set(x, '<hash>');
      if (k === 'metadata' && isRecord(x) && typeof x.generateName === 'string' && typeof x.name === 'string' && x.name.startsWith(x.generateName) && x.name !== x.generateName) {
        out.set(x.name, `${x.generateName}<gen>`);
      }
      generatedValues(x, out);
    }
  }
}

function normaliseString(s: string, key: string, gen: Map<string, string>): string {
  if (RV_KEYS.has(key)) return s === '' ? s : `<${key}>`;
  if (UID.test(s)) return '<uid>';
  if (TIME.test(s)) return '<time>';
  if (IP.test(s) || key === 'clusterIP') return '<ip>';
  let out = s;
  for (const [value, replacement] of gen) if (out.includes(value)) out = out.split(value).join(replacement);
  out = out.replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<gen>');
  // An Event's name is its object's name and a hex suffix.
  out = out.replace(/\.[0-9a-f]{15,20}$/, '.<gen>');
  return out.replace(NODE, (_m, a: string | undefined, b: string | undefined) => `node-${a ?? b}`);
}

function walk(v: Json, key: string, gen: Map<string, string>): Json {
  if (typeof v === 'string') return normaliseString(v, key, gen);
  if (Array.isArray(v)) return v.map((x) => walk(x, key, gen));
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    if (DROP.has(k)) continue;
    if (k === 'nodeName' && typeof v[k] === 'string' && v[k] !== '') out[k] = '<node>';
    else out[k] = walk(v[k], k, gen);
  }
  return out;
}

export function normalise(body: Json): Json {
  const gen = new Map<string, string>();
  generatedValues(body, gen);
  return walk(body, '', gen);
}

/** A dotted path's value; `a[].b` maps over the list `a`. */
export function pick(body: Json, path: string): Json {
  const [head, ...rest] = path.split('[].');
  let v: Json = body;
  for (const part of head!.split('.')) {
    if (part === '') continue;
    v = isRecord(v) ? v[part] : Array.isArray(v) && /^\d+$/.test(part) ? v[Number(part)] : undefined;
  }
  if (rest.length === 0) return v;
  return Array.isArray(v) ? v.map((x) => pick(x, rest.join('[].'))) : undefined;
}

/** Sets a dotted path (creating objects on the way; a number indexes a list); null removes the key. */
export function setPath(body: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o: Record<string, unknown> | unknown[] = body;
  const at = (c: Record<string, unknown> | unknown[], k: string): unknown => (Array.isArray(c) ? c[Number(k)] : c[k]);
  for (const p of parts.slice(0, -1)) {
    const next = at(o, p);
    if (Array.isArray(next) || isRecord(next)) o = next;
    else {
      const fresh = {};
      if (Array.isArray(o)) o[Number(p)] = fresh;
      else o[p] = fresh;
      o = fresh;
    }
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(o)) {
    if (value === null) o.splice(Number(last), 1);
    else o[Number(last)] = value;
  } else if (value === null) delete o[last];
  else o[last] = value;
}

/** Every object's keys in reverse order: the same JSON to a Go decoder, different text. */
export function reorder(v: Json): Json {
  if (Array.isArray(v)) return v.map(reorder);
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reorder(v[k])]));
}

/** The dotted paths at which two normalised values differ (at most `max`). */
export function differences(a: Json, b: Json, at = '', out: string[] = [], max = 12): string[] {
  if (out.length >= max) return out;
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) differences(a[k], b[k], at ? `${at}.${k}` : k, out, max);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => differences(x, b[i], `${at}[${i}]`, out, max));
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${at || '(body)'}: real ${short(a)} / sim ${short(b)}`);
  }
  return out;
}

function short(v: Json): string {
  const s = JSON.stringify(v) ?? 'absent';
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}
