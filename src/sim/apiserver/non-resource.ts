import { type ApiRequest, type ApiResponse, jsonResponse } from './api-types.js';
import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { openapiResponse } from './openapi.js';
import type { Registry } from './registry.js';
import { errors } from './status.js';

/** Discovery, version, health and OpenAPI: the apiserver's paths outside /api/<v>/<resource>. */
export function nonResourceResponse(req: ApiRequest, server: { registry: Registry; serverAddress: string; ready: boolean }): ApiResponse {
  const path = req.path.replace(/\/+$/, '') || '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const e = errors.methodNotAllowed();
    return jsonResponse(e.code, JSON.stringify(e.toStatus()), e.headers);
  }
  const json = (o: unknown): ApiResponse => jsonResponse(200, JSON.stringify(o));
  switch (path) {
    case '/version':
      return json(versionInfo());
    case '/api':
      return json(coreVersions(server.serverAddress));
    case '/apis':
      return json(groupList(server.registry));
    case '/healthz':
    case '/livez':
    case '/readyz':
      return server.ready
        ? { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'ok' }
        : { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '[-]cache not ready\nhealthz check failed' };
    case '/':
      return json({
        paths: ['/api', '/api/v1', '/apis', ...[...server.registry.groups().keys()].filter(Boolean).map((g) => `/apis/${g}`), '/healthz', '/livez', '/metrics', '/openapi/v2', '/openapi/v3', '/readyz', '/version'],
      });
  }
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) {
    const list = resourceList(server.registry, '', parts[1]!);
    if (list) return json(list);
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const g = group(server.registry, parts[1]!);
    if (g) return json(g);
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = resourceList(server.registry, parts[1]!, parts[2]!);
    if (list) return json(list);
  }
  if (parts[0] === 'openapi') {
    const res = openapiResponse(parts.slice(1), req.accept);
    if (res) return res;
  }
  return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '404 page not found\n' };
}
