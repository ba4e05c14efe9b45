import pLimit from 'p-limit';
import type { KubeClient } from '../cluster/kube-client.js';
import { KWOK_NODE_ANNOTATION } from './component-args.js';
import type { LocalSettings } from './settings.js';

export const NODE_PREFIX = 'kwok-node-';
/** The label kbench puts on its fake nodes, to count them apart from any other node. */
export const NODE_LABEL = 'kbench.io/fake-node';

/** A Node as kubelet registers one (capacity = allocatable), marked for kwok to manage. */
export function fakeNode(i: number, s: LocalSettings): Record<string, unknown> {
  const name = `${NODE_PREFIX}${i}`;
  const resources = { cpu: s.nodeCpu, memory: s.nodeMemory, pods: String(s.nodePods) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
        [NODE_LABEL]: 'true',
      },
    },
    spec: {},
    status: { capacity: resources, allocatable: resources, phase: 'Running' },
  };
}

/** Creates the fake nodes (ones that exist already, in a kept --data-dir, are left as they are). */
export async function createFakeNodes(client: KubeClient, s: LocalSettings, signal?: AbortSignal): Promise<void> {
  const limit = pLimit(16);
  await Promise.all(
    Array.from({ length: s.nodes }, (_, i) =>
      limit(async () => {
        if (signal?.aborted) return;
        const res = await client.call('POST', '/api/v1/nodes', { body: fakeNode(i, s) });
        if (res.status !== 201 && res.status !== 409) throw new Error(`creating node ${NODE_PREFIX}${i} answered ${res.status}: ${res.body.slice(0, 300)}`);
      }),
    ),
  );
}

interface NodeList {
  items: { status?: { conditions?: { type: string; status: string }[] } }[];
  metadata: { continue?: string };
}

/** How many of kbench's fake nodes report Ready. */
export async function readyFakeNodes(client: KubeClient): Promise<{ total: number; ready: number }> {
  let total = 0;
  let ready = 0;
  let cont: string | undefined;
  do {
    const list = await client.json<NodeList>('GET', '/api/v1/nodes', { query: { labelSelector: `${NODE_LABEL}=true`, limit: '1000', ...(cont ? { continue: cont } : {}) } });
    for (const n of list.items) {
      total++;
      if (n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
    }
    cont = list.metadata.continue || undefined;
  } while (cont);
  return { total, ready };
}
