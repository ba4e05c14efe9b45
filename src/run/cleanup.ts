import pLimit from 'p-limit';
import type { KubeClient } from '../cluster/kube-client.js';
import { sleep } from '../load/pacer.js';
import type { CleanupReport, NamespaceCleanup } from '../results/format.js';

export interface CleanupOptions {
  /** How long to wait for the namespaces to be gone (0: do not wait). */
  waitMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

function failure(status: number, body: string): string {
  try {
    const st = JSON.parse(body) as { reason?: string; message?: string };
    if (st.message) return `${status} ${st.reason ?? ''}: ${st.message}`.replace(/\s+/g, ' ').slice(0, 300);
  } catch {
    // not a Status
  }
  return `${status} ${body}`.replace(/\s+/g, ' ').slice(0, 300);
}

/**
 * Deletes namespaces and reports each one's fate from the API server's own answers: a
 * delete refused (403), failed (5xx) or unanswered is `failed` with the reason, never
 * reported as done. Accepted deletes are then watched for up to `waitMs` until the
 * namespace is gone; what is still terminating by then is said to be.
 */
export async function deleteNamespaces(client: KubeClient, names: readonly string[], o: CleanupOptions): Promise<NamespaceCleanup[]> {
  const limit = pLimit(10);
  const results = await Promise.all(
    names.map((name) =>
      limit(async (): Promise<NamespaceCleanup> => {
        try {
          const res = await client.call('DELETE', `/api/v1/namespaces/${name}`, { body: { propagationPolicy: 'Background' } });
          if (res.status === 404) return { name, result: 'deleted' };
          if (res.status >= 200 && res.status < 300) return { name, result: 'terminating' };
          return { name, result: 'failed', error: failure(res.status, res.body) };
        } catch (e) {
          return { name, result: 'failed', error: (e as Error).message.slice(0, 300) };
        }
      }),
    ),
  );
  const deadline = performance.now() + o.waitMs;
  while (results.some((r) => r.result === 'terminating') && performance.now() < deadline && !o.signal?.aborted) {
    await sleep(Math.min(o.pollMs ?? 500, Math.max(0, deadline - performance.now())), o.signal);
    await Promise.all(
      results
        .filter((r) => r.result === 'terminating')
        .map((r) =>
          limit(async () => {
            const res = await client.call('GET', `/api/v1/namespaces/${r.name}`, { retry: false }).catch(() => undefined);
            if (res?.status === 404) r.result = 'deleted';
          }),
        ),
    );
  }
  return results;
}

/** Deletes a run's namespaces and says what became of them; a wait ended by `o.signal` says when it was stopped. */
export async function deleteRunNamespaces(client: KubeClient, names: readonly string[], runId: string, o: CleanupOptions): Promise<CleanupReport> {
  const waitStart = performance.now();
  const fates = await deleteNamespaces(client, names, o);
  const stopped = o.signal?.aborted === true;
  return cleanupReport('delete', fates, runId, stopped ? performance.now() - waitStart : o.waitMs, stopped);
}

/** What the manifest and the console say about a cleanup. */
export function cleanupReport(action: CleanupReport['action'], namespaces: NamespaceCleanup[], runId: string, waitedMs: number, stoppedEarly = false): CleanupReport {
  const finish = `\`kbench cleanup --run ${runId}\``;
  if (action === 'keep') return { action, message: `kept (--keep): ${namespaces.length} namespace(s) and everything in them are still on the cluster; ${finish} removes them`, namespaces };
  if (action === 'discard') return { action, message: 'none needed: the control plane kbench started for the run (the sim or a local cluster), and everything in it, was stopped', namespaces: [] };
  if (action === 'none') return { action, message: 'none needed: nothing was created', namespaces: [] };
  const failed = namespaces.filter((n) => n.result === 'failed');
  const terminating = namespaces.filter((n) => n.result === 'terminating');
  let message: string;
  if (failed.length > 0) {
    message = `could not delete ${failed.length} of ${namespaces.length} namespace(s) (${failed[0]!.name}: ${failed[0]!.error}); they and their objects are still on the cluster: run ${finish} to finish`;
  } else if (terminating.length > 0) {
    message = `the API server accepted the deletion of all ${namespaces.length} namespace(s); ${terminating.length} were still terminating ${stoppedEarly ? 'when the wait for them was stopped at' : 'after'} ${Math.round(waitedMs / 1000)} s (${finish} checks and finishes)`;
  } else {
    message = `deleted: the run's ${namespaces.length} namespace(s) are gone`;
  }
  return { action, message, namespaces };
}
