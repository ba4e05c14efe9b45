import type { ResourceDef } from './resource-def.js';
import { errors } from './status.js';
import type { KubeObject } from './types.js';

/**
 * What representation the client asked for in Accept: plain JSON, a meta.k8s.io Table
 * (`kubectl get`), or PartialObjectMetadata. Protobuf and CBOR are skipped: the sim speaks
 * JSON only and answers JSON when the client also accepts it.
 */
export type OutputForm =
  | { kind: 'json' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' };

export function negotiateOutput(accept: string | undefined): OutputForm {
  if (!accept || accept.trim() === '') return { kind: 'json' };
  for (const raw of accept.split(',')) {
    const [typePart, ...paramParts] = raw.split(';');
    const type = typePart!.trim().toLowerCase();
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const params = new Map<string, string>();
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
    }
    const as = params.get('as');
    if (!as) return { kind: 'json' };
    const g = params.get('g');
    const v = params.get('v');
    if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    if (as === 'Table') return { kind: 'table', version: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version: v };
  }
  throw errors.notAcceptable();
}

function partialMetadata(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function toPartialObjectMetadata(obj: KubeObject, version: string): string {
  return JSON.stringify(partialMetadata(obj, version));
}

export function toPartialObjectMetadataList(
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  version: string,
): string {
  return JSON.stringify({
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    items: items.map((o) => partialMetadata(o, version)),
  });
}

/** A meta.k8s.io Table of `items`, as server-side printing returns for `kubectl get`. */
export function toTable(
  def: ResourceDef,
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  version: string,
  opts: { includeObject: string; withColumns: boolean; now: number },
): string {
  const columns = def.columns ?? [];
  const table: Record<string, unknown> = {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    columnDefinitions: opts.withColumns
      ? columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? '',
          description: c.description,
          priority: c.priority,
        }))
      : [],
    rows: items.map((o) => {
      const row: Record<string, unknown> = { cells: columns.map((c) => c.cell(o, opts.now)) };
      if (opts.includeObject === 'Object') row.object = o;
      else if (opts.includeObject !== 'None') row.object = partialMetadata(o, version);
      return row;
    }),
  };
  return JSON.stringify(table);
}
