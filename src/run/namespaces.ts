import type { KubeClient } from '../cluster/kube-client.js';
import { RUN_LABEL, WORKLOAD_LABEL } from '../load/labels.js';

/**
 * Creates the run's namespaces, labelled with the run id and workload (cleanup deletes
 * only what carries this run's label). A create retried after its first attempt went
 * through finds its own namespace there; anyone else's is an error.
 */
export async function createRunNamespaces(client: KubeClient, names: readonly string[], runId: string, workload: string): Promise<void> {
  for (const ns of names) {
    const res = await client.call('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [RUN_LABEL]: runId, [WORKLOAD_LABEL]: workload } } },
    });
    if (res.status === 409) {
      const existing = await client.json<{ metadata: { labels?: Record<string, string> } }>('GET', `/api/v1/namespaces/${ns}`);
      if (existing.metadata.labels?.[RUN_LABEL] !== runId) throw new Error(`namespace ${ns} already exists and is not this run's`);
    } else if (res.status < 200 || res.status >= 300) {
      throw new Error(`cannot create namespace ${ns}: ${res.status} ${res.body.slice(0, 300)}`);
    }
  }
}
