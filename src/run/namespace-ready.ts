import type { KubeClient } from '../cluster/kube-client.js';
import { sleep } from '../load/pacer.js';

export interface NamespaceReadyOptions {
  /** How long a namespace may take to get its default ServiceAccount. */
  timeoutMs: number;
  /** How often to look. */
  pollMs: number;
  signal?: AbortSignal;
}

export const NAMESPACE_READY_DEFAULTS: NamespaceReadyOptions = { timeoutMs: 60_000, pollMs: 100 };

/**
 * Waits until each namespace has its `default` ServiceAccount. kube-controller-manager
 * creates it shortly after the namespace; until then the ServiceAccount admission plugin
 * refuses pods ("error looking up service account <ns>/default"), and under load the
 * controller can be seconds behind. Waiting keeps those refusals out of the measurements.
 */
export async function waitForDefaultServiceAccounts(
  client: Pick<KubeClient, 'call'>,
  namespaces: readonly string[],
  opts: NamespaceReadyOptions = NAMESPACE_READY_DEFAULTS,
): Promise<{ warning?: string }> {
  const deadline = performance.now() + opts.timeoutMs;
  for (const ns of namespaces) {
    for (;;) {
      opts.signal?.throwIfAborted();
      const res = await client.call('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
      if (res.status === 200) break;
      // A user who may create pods but not read service accounts: go on unchecked.
      if (res.status === 403) {
        return { warning: `did not wait for the default ServiceAccount of the run's namespaces: reading serviceaccounts is forbidden (403); pods created before it exists are refused by the cluster and counted as failed` };
      }
      if (res.status !== 404) throw new Error(`cannot read the default ServiceAccount of namespace ${ns}: ${res.status} ${res.body.slice(0, 300)}`);
      if (performance.now() > deadline) {
        throw new Error(
          `namespace ${ns} has no default ServiceAccount after ${Math.round(opts.timeoutMs / 1000)} s, so the cluster would refuse its pods ` +
            '(error looking up service account). Is kube-controller-manager running, with its serviceaccount-controller?',
        );
      }
      await sleep(opts.pollMs, opts.signal);
    }
  }
  return {};
}
