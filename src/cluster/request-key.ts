/**
 * The key client-side API latency is kept under: (verb, resource, subresource, scope),
 * classified as the apiserver classifies requests for its own metrics, so client and
 * server latencies line up key for key.
 */
export interface RequestKey {
  verb: string;
  resource: string;
  subresource: string;
  scope: 'resource' | 'namespace' | 'cluster';
}

export function keyString(k: RequestKey): string {
  return `${k.verb} ${k.resource}${k.subresource ? `/${k.subresource}` : ''} ${k.scope}`;
}

export function classifyRequest(method: string, path: string, query: URLSearchParams | undefined, contentType?: string): RequestKey {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  let rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : parts;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  const watch = query?.get('watch');
  const isWatch = watch !== null && watch !== undefined && watch !== '0' && watch.toLowerCase() !== 'false';
  let verb = method.toUpperCase();
  if (verb === 'GET') verb = isWatch ? 'WATCH' : name ? 'GET' : 'LIST';
  if (verb === 'PATCH' && contentType?.startsWith('application/apply-patch')) verb = 'APPLY';
  const scope = name || verb === 'POST' ? 'resource' : namespace ? 'namespace' : 'cluster';
  return { verb, resource, subresource, scope };
}
