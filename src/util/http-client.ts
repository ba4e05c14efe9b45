/**
 * undici's Pool and Agent with its request API, loaded from their own files rather than the
 * package's index. The index also loads fetch, WebSocket, EventSource, cookies, mocks, caches
 * and interceptors, and through them Node's own copy of undici: about 95 ms of CPU and 8 MiB
 * at the start of every command that talks HTTP (measured 2026-12-04), for nothing kbench
 * uses. The wiring below is the index's (`Object.assign(Dispatcher.prototype, api)`); every
 * API call and scrape of the test suite goes through it, and test/cluster/http-client.test.ts
 * checks these are the package's own classes.
 */
import type * as undici from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import api from 'undici/lib/api/index.js';

Object.assign(DispatcherClass.prototype, api);

export const Pool = PoolClass as typeof undici.Pool;
export type Pool = undici.Pool;
export const Agent = AgentClass as typeof undici.Agent;
export type Agent = undici.Agent;

/** undici's `request(url, { dispatcher, ... })`: one request to a URL through a dispatcher. */
export async function request(
  url: string | URL,
  opts: { dispatcher: undici.Dispatcher; method?: undici.Dispatcher.HttpMethod; headers?: Record<string, string>; signal?: AbortSignal },
): Promise<undici.Dispatcher.ResponseData> {
  const u = typeof url === 'string' ? new URL(url) : url;
  return opts.dispatcher.request({
    origin: u.origin,
    path: `${u.pathname}${u.search}`,
    method: opts.method ?? 'GET',
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
