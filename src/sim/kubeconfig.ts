import { writeFile, chmod } from 'node:fs/promises';
import { stringify } from 'yaml';

/** A kubeconfig for the sim: one cluster with its CA, one user with the bearer token. */
export function simKubeconfig(server: string, caPem: string, token: string, name = 'kbench-sim'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, content: string): Promise<void> {
  // It holds a credential: readable by the owner only, also when an older file was there
  // (writeFile's mode applies only to a file it creates).
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}
