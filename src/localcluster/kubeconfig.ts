import { stringify } from 'yaml';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A kubeconfig with one cluster, one client-certificate user and one context, everything inline. */
export function certKubeconfig(o: { server: string; caPem: string; certPem: string; keyPem: string; user: string; name?: string }): string {
  const name = o.name ?? 'kbench-local';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: o.server, 'certificate-authority-data': b64(o.caPem) } }],
    users: [{ name: o.user, user: { 'client-certificate-data': b64(o.certPem), 'client-key-data': b64(o.keyPem) } }],
    contexts: [{ name, context: { cluster: name, user: o.user } }],
    'current-context': name,
  });
}
