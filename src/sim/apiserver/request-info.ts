/**
 * Classifies a request the way the real apiserver's RequestInfoFactory does: resource
 * requests under /api and /apis get a verb, group, version, resource, subresource,
 * namespace and name; everything else is a non-resource request.
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequestInfo {
  isResource: true;
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** A list or watch narrowed by `fieldSelector=metadata.name=X` names X, as the real server records. */
  selectedName: string;
  /** For the proxy subresource: the path after `/proxy` (e.g. /metrics). */
  proxyPath: string;
}

export interface NonResourceRequestInfo {
  isResource: false;
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

/**
 * Query booleans as the real apiserver converts them: absent is unset, `0` and `false`
 * (any case) are false, anything else (`true`, `True`, `1`, even empty) is true.
 */
export function parseBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  const lower = v.toLowerCase();
  return !(lower === '0' || lower === 'false');
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  const nonResource: NonResourceRequestInfo = { isResource: false, verb: method.toLowerCase(), path };
  let rest: string[];
  let group = '';
  let version: string;
  if (parts[0] === 'api') {
    if (parts.length < 3) return nonResource;
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResource;
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return nonResource;
  }

  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  // Only proxy carries a path after the subresource (pods/<name>/proxy/metrics).
  const proxyPath = subresource === 'proxy' ? `/${rest.slice(3).join('/')}` : '';
  if ((rest.length > 3 && subresource !== 'proxy') || resource === '') return nonResource;

  let verb: Verb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      // ?watch=true makes a collection GET a watch; a named GET stays a GET (the /watch/
      // prefix watches one object).
      if (watchPrefix || (!name && parseBool(query.get('watch')) === true)) verb = 'watch';
      else verb = name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      return nonResource;
  }
  let selectedName = '';
  if (verb === 'list' || verb === 'watch') {
    const m = /^metadata\.name==?([^,]+)$/.exec(query.get('fieldSelector') ?? '');
    if (m) selectedName = m[1]!;
  }
  return { isResource: true, verb, group, version, resource, subresource, namespace, name, selectedName, proxyPath };
}

/** The `scope` label of apiserver request metrics. */
export function metricScope(info: ResourceRequestInfo): 'resource' | 'namespace' | 'cluster' {
  if (info.name !== '' || info.selectedName !== '' || info.verb === 'create') return 'resource';
  if (info.namespace !== '') return 'namespace';
  return 'cluster';
}

/** Subresources that stream (kube-apiserver's long-running check): exempt from max-inflight. */
const CONNECT_SUBRESOURCES = new Set(['proxy', 'attach', 'exec', 'portforward']);

/** Watches and connections (pods/proxy) hold a connection open, as the real server's LongRunningRequestCheck says. */
export function isLongRunning(info: ResourceRequestInfo): boolean {
  return info.verb === 'watch' || CONNECT_SUBRESOURCES.has(info.subresource);
}

/** The `verb` label of apiserver request metrics (LIST vs GET, WATCH, APPLY, CONNECT). */
export function metricVerb(info: ResourceRequestInfo, method: string, contentType: string | undefined): string {
  // cleanVerb: a request to a connect subresource is CONNECT whatever its method.
  if (CONNECT_SUBRESOURCES.has(info.subresource)) return 'CONNECT';
  if (info.verb === 'watch') return 'WATCH';
  if (info.verb === 'list') return 'LIST';
  if (method === 'PATCH' && contentType?.startsWith('application/apply-patch')) return 'APPLY';
  return method;
}
