import { describe, expect, it } from 'vitest';
import type { CallOptions, CallResult, KubeClient } from '../../src/cluster/kube-client.js';
import { cleanupReport, deleteNamespaces } from '../../src/run/cleanup.js';
import { ServerHealth } from '../../src/run/server-health.js';

function client(handler: (method: string, path: string, opts: CallOptions) => CallResult | Error): KubeClient {
  return {
    call: async (m: string, p: string, o: CallOptions = {}) => {
      const r = handler(m, p, o);
      if (r instanceof Error) throw r;
      return r;
    },
  } as unknown as KubeClient;
}

const answer = (status: number, body = '{}'): CallResult => ({ status, body, headers: {} });

describe('deleting the run namespaces', () => {
  it('reports each namespace from the API server\'s own answer, never a refused delete as done', async () => {
    const gone = new Set<string>();
    const c = client((m, p) => {
      const ns = p.split('/').pop()!;
      if (m === 'DELETE') {
        if (ns === 'a') return answer(200);
        if (ns === 'b') return answer(404);
        if (ns === 'c') return answer(403, JSON.stringify({ reason: 'Forbidden', message: 'namespaces "c" is forbidden: User "x" cannot delete' }));
        if (ns === 'd') return new Error('DELETE /api/v1/namespaces/d: connect ECONNREFUSED 127.0.0.1:6443');
        return answer(202);
      }
      // GET after the deletes: a is gone on the second look, e never goes.
      if (ns === 'a' && gone.has('a')) return answer(404);
      gone.add(ns);
      return answer(200);
    });
    const fates = await deleteNamespaces(c, ['a', 'b', 'c', 'd', 'e'], { waitMs: 200, pollMs: 10 });
    expect(fates.map((f) => [f.name, f.result])).toEqual([
      ['a', 'deleted'],
      ['b', 'deleted'],
      ['c', 'failed'],
      ['d', 'failed'],
      ['e', 'terminating'],
    ]);
    expect(fates[2]!.error).toBe('403 Forbidden: namespaces "c" is forbidden: User "x" cannot delete');
    expect(fates[3]!.error).toMatch(/ECONNREFUSED/);
    const report = cleanupReport('delete', fates, '20261201t100000-abcdef', 200);
    expect(report.message).toMatch(/^could not delete 2 of 5 namespace\(s\) \(c: 403 Forbidden.*run `kbench cleanup --run 20261201t100000-abcdef` to finish$/);
  });

  it('says all gone only when they are, and how to confirm when they are still terminating', () => {
    expect(cleanupReport('delete', [{ name: 'a', result: 'deleted' }], 'r', 0).message).toBe("deleted: the run's 1 namespace(s) are gone");
    expect(cleanupReport('delete', [{ name: 'a', result: 'terminating' }], 'r', 30_000).message).toMatch(/accepted the deletion of all 1 namespace\(s\); 1 were still terminating after 30 s \(`kbench cleanup --run r`/);
    expect(cleanupReport('keep', [{ name: 'a', result: 'kept' }], 'r', 0).message).toMatch(/kept \(--keep\).*`kbench cleanup --run r` removes them/);
  });
});

describe('noticing a dead API server', () => {
  const outcome = (status: number, totalMs = 1) => ({ key: { verb: 'POST', resource: 'pods', subresource: '', scope: 'resource' as const }, status, latencyMs: totalMs, totalMs, attempts: 1, failures: status === 0 ? ['network'] : [] });

  it('stops when every call has failed for longer than the grace, saying since when and why', () => {
    let now = 1_000_000;
    const h = new ServerHealth('https://127.0.0.1:6443', 30_000, () => ({}), () => now);
    h.onCall(outcome(201));
    now += 5_000;
    h.onCall(outcome(0));
    now += 29_000;
    expect(h.check()).toBeUndefined();
    now += 2_000;
    expect(h.check()).toBe(`the API server at https://127.0.0.1:6443 has not answered since ${new Date(1_000_000).toISOString()} (more than 30 s; network)`);
    // One answer and it is alive again.
    h.onCall(outcome(200));
    expect(h.check()).toBeUndefined();
  });

  it('stops when the pod watch has not connected for longer than the grace, even in a phase without calls', () => {
    let now = 0;
    let watch: { failingSince?: number; lastError?: string } = {};
    const h = new ServerHealth('https://x', 10_000, () => watch, () => now);
    now = 1000;
    watch = { failingSince: 1000, lastError: 'watch pods: connect ECONNREFUSED' };
    now = 10_500;
    expect(h.check()).toBeUndefined();
    now = 11_500;
    expect(h.check()).toMatch(/has not answered since .* watch pods: connect ECONNREFUSED/);
  });

  it('a quiet phase (no calls) with a working watch is not a dead server', () => {
    let now = 0;
    const h = new ServerHealth('https://x', 1000, () => ({}), () => now);
    now += 60_000;
    expect(h.check()).toBeUndefined();
  });

  it('without the pods measurement, failing calls alone decide', () => {
    let now = 0;
    const h = new ServerHealth('https://x', 1000, () => undefined, () => now);
    h.onCall(outcome(503));
    now += 2000;
    expect(h.check()).toMatch(/has not answered since .* HTTP 503/);
  });
});

describe('a server that is up but not ready', () => {
  it('stops when /readyz has failed for longer than the grace, and ignores a /readyz the user may not read', () => {
    let now = 0;
    const h = new ServerHealth('https://x', 5000, () => ({}), () => now);
    h.onReadyz(403, 'forbidden');
    now = 10_000;
    expect(h.check()).toBeUndefined();
    h.onReadyz(500, '[-]etcd failed: reason withheld');
    now = 14_000;
    expect(h.check()).toBeUndefined();
    now = 16_000;
    expect(h.check()).toBe(`the API server at https://x has not answered as ready since ${new Date(10_000).toISOString()} (more than 5 s; /readyz answered 500: [-]etcd failed: reason withheld)`);
    h.onReadyz(200, '');
    expect(h.check()).toBeUndefined();
  });
});
