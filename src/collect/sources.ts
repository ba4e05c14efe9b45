import { readFileSync } from 'node:fs';
import { Agent, request } from '../util/http-client.js';
import type { KubeClient } from '../cluster/kube-client.js';

import type { Component } from '../results/format.js';

export type { Component };

/** Where a component's Prometheus metrics come from. */
export interface ScrapeSource {
  name: string;
  component: Component;
  /** apiserver | url | pod-proxy: how it is reached, for the summary. */
  type: string;
  /** Shown in the summary (a URL or a pod), never with credentials. */
  where: string;
  /** Known up front that it cannot be scraped (e.g. the sim keeps no etcd). */
  unavailable?: string;
  scrape(): Promise<string>;
}

export class SourceError extends Error {}

function clip(s: string, n = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}...` : t;
}

/** The Kubernetes client, known once the target is open (sources are planned before). */
export type ClientRef = () => KubeClient;

/** The apiserver's /metrics through the authenticated client, as `kubectl get --raw /metrics`. */
export function apiserverSource(client: ClientRef, name = 'apiserver'): ScrapeSource {
  return {
    name,
    component: 'apiserver',
    type: 'apiserver',
    where: '/metrics (through the kubeconfig)',
    async scrape() {
      const res = await client().call('GET', '/metrics', { accept: 'text/plain', retry: false });
      if (res.status !== 200) throw new SourceError(`GET /metrics answered ${res.status}: ${clip(res.body)}`);
      return res.body;
    },
  };
}

export interface UrlSourceOptions {
  name: string;
  component: Component;
  url: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: () => Promise<string | undefined>;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
}

/** Reads a credential file now, so a wrong path is bad input rather than a failed scrape. */
export function readCredential(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new SourceError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Any metrics URL (scheduler :10259, etcd :2379/:2381), with its own TLS and token. */
export function urlSource(o: UrlSourceOptions): ScrapeSource {
  const tls: Record<string, unknown> = {};
  if (o.ca) tls.ca = o.ca;
  if (o.cert) tls.cert = o.cert;
  if (o.key) tls.key = o.key;
  if (o.insecureSkipVerify) tls.rejectUnauthorized = false;
  const dispatcher = new Agent({ connect: tls });
  return {
    name: o.name,
    component: o.component,
    type: 'url',
    where: o.url,
    async scrape() {
      const headers: Record<string, string> = { accept: 'text/plain' };
      const token = await o.token?.();
      if (token) headers.authorization = `Bearer ${token}`;
      let res;
      try {
        res = await request(o.url, { dispatcher, headers, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
      } catch (e) {
        const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
        throw new SourceError(`cannot reach ${o.url}: ${err.cause?.code ?? err.code ?? err.name}${err.cause?.message ? ` (${err.cause.message})` : err.message ? ` (${err.message})` : ''}`);
      }
      const body = await res.body.text();
      if (res.statusCode !== 200) throw new SourceError(`${o.url} answered ${res.statusCode}: ${clip(body)}`);
      return body;
    },
  };
}

/**
 * A component's metrics through the apiserver's pod proxy (no SSH, no direct route needed),
 * e.g. kube-system/kube-scheduler-<node>:10259. With `lease`, the pod is the one holding
 * the component's leader Lease (`<node>_<uuid>` -> `<lease>-<node>`): the active scheduler,
 * not just any replica.
 */
export function podProxySource(
  client: ClientRef,
  o: { name: string; component: Component; namespace: string; pod?: string; lease?: string; port: number; scheme: 'http' | 'https'; path?: string },
): ScrapeSource {
  const where = o.pod ? `${o.namespace}/${o.pod}:${o.port}` : `${o.namespace}/<holder of lease ${o.lease}>:${o.port}`;
  return {
    name: o.name,
    component: o.component,
    type: 'pod-proxy',
    where,
    async scrape() {
      let pod = o.pod;
      if (!pod) {
        const lease = await client().call('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${o.lease}`, { retry: false });
        if (lease.status !== 200) throw new SourceError(`cannot read Lease kube-system/${o.lease}: ${lease.status}`);
        const holder = (JSON.parse(lease.body) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? '';
        const node = holder.split('_')[0];
        if (!node) throw new SourceError(`Lease kube-system/${o.lease} has no holder`);
        pod = `${o.lease}-${node}`;
      }
      const target = `${o.scheme}:${pod}:${o.port}`;
      const res = await client().call('GET', `/api/v1/namespaces/${o.namespace}/pods/${target}/proxy${o.path ?? '/metrics'}`, { accept: 'text/plain', retry: false });
      if (res.status !== 200) throw new SourceError(`pod proxy to ${o.namespace}/${pod}:${o.port} answered ${res.status}: ${clip(res.body)}`);
      return res.body;
    },
  };
}
