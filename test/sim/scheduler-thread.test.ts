import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApiError } from '../../src/sim/local-client.js';
import type { SchedPod } from '../../src/sim/scheduler/sched-types.js';
import type { SchedulerApi } from '../../src/sim/scheduler/scheduler-core.js';
import { SchedulerThread } from '../../src/sim/scheduler/scheduler-thread.js';
import { generateServingCerts, type ServingCerts } from '../../src/sim/tls.js';
import { schedNode as node, schedPod as pod } from '../helpers/sched-objects.js';

/**
 * The scheduling half in its worker thread, driven over its messages with a hand-made API:
 * what it binds, what it reports unschedulable, how it takes a failed binding, its /metrics,
 * and that stop() ends the thread.
 */

/** Waits until `check` holds (the thread answers asynchronously). */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function get(url: string, token: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('the scheduler thread', () => {
  let certs: ServingCerts;
  let thread: SchedulerThread | undefined;
  const binds: { pod: string; node: string; answer(e?: Error): void }[] = [];
  const scheduled: string[] = [];
  const unschedulable: { pod: string; message: string }[] = [];
  const api: SchedulerApi = {
    bind: (p, n) => new Promise<void>((resolve, reject) => binds.push({ pod: p.name, node: n, answer: (e) => (e ? reject(e) : resolve()) })),
    scheduled: async (p, n) => void scheduled.push(`${p.name}@${n}`),
    unschedulable: async (p, message) => void unschedulable.push({ pod: p.name, message }),
  };

  beforeAll(async () => {
    certs = await generateServingCerts(['127.0.0.1']);
    thread = await SchedulerThread.start({ seed: 1, host: '127.0.0.1', port: 0, certs, token: 'secret' }, api, () => undefined);
  });

  afterAll(async () => {
    await thread?.stop();
  });

  it('binds pods to a node that fits, reports the ones that fit nowhere, and serves its metrics', async () => {
    const t = thread!;
    t.nodeChanged(node('n1', 2));
    t.podChanged(pod('a'));
    t.podChanged(pod('b'));
    await until(() => binds.length === 2, 'two bindings');
    expect(binds.map((b) => `${b.pod}@${b.node}`).sort()).toEqual(['a@n1', 'b@n1']);
    for (const b of binds.splice(0)) b.answer();
    await until(() => scheduled.length === 2, 'two Scheduled events');

    // The node is full: the third pod is unschedulable, with the real scheduler's message.
    t.podChanged(pod('c'));
    await until(() => unschedulable.length === 1, 'an unschedulable report');
    expect(unschedulable[0]).toEqual({ pod: 'c', message: '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.' });

    // A bound pod's deletion frees its slot: c is bound now.
    t.podDeleted(pod('a', { nodeName: 'n1' }));
    await until(() => binds.length === 1, 'the binding of c');
    expect(binds[0]).toMatchObject({ pod: 'c', node: 'n1' });
    // Bound by someone else meanwhile (409): not retried.
    binds.splice(0)[0]!.answer(new LocalApiError(409, 'Conflict', 'pod ns/c is already assigned to node "n1"'));

    let body = '';
    const errors = /^scheduler_schedule_attempts_total\{result="error",profile="default-scheduler"\} 1$/m;
    for (let i = 0; i < 500 && !errors.test(body); i++) body = (await t.metrics()).body;
    expect(body).toMatch(errors);
    expect(body).toMatch(/^scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 2$/m);
    const served = await get(t.metricsUrl, 'secret', certs.caPem);
    expect(served.status).toBe(200);
    expect(served.body).toContain('scheduler_pending_pods{queue="active"}');
    expect((await get(t.metricsUrl, 'wrong', certs.caPem)).status).toBe(401);
  });

  it('retries a binding that failed for another reason, after its backoff', async () => {
    const t = thread!;
    t.nodeChanged(node('n2', 5));
    t.podChanged(pod('d'));
    await until(() => binds.length === 1, 'the binding of d');
    binds.splice(0)[0]!.answer(new LocalApiError(500, 'InternalError', 'etcdserver: request timed out'));
    await until(() => binds.length === 1, 'the second binding of d');
    expect(binds[0]!.pod).toBe('d');
    binds.splice(0)[0]!.answer();
    await until(() => scheduled.includes('d@n2'), 'd scheduled');
    expect(binds).toEqual([]);
  });

  it('reports its death once (an uncaught error in a cycle), and a successor can take its port', async () => {
    const died: string[] = [];
    const doomed = await SchedulerThread.start({ seed: 2, host: '127.0.0.1', port: 0, certs, token: 'secret' }, api, () => undefined);
    doomed.onDied = (why) => died.push(why);
    // A tainted node makes the filter read the pod's tolerations, which this malformed pod lacks.
    doomed.nodeChanged({ ...node('tainted', 5), taints: [{ key: 'dedicated', effect: 'NoSchedule' }] });
    doomed.podChanged(pod('broken', { tolerations: undefined as unknown as SchedPod['tolerations'] }));
    await until(() => died.length === 1, 'the death report');
    expect(died[0]).toMatch(/tolerations|undefined/);
    await doomed.stop();
    expect(died).toHaveLength(1);
    const port = Number(new URL(doomed.metricsUrl).port);
    const successor = await SchedulerThread.start({ seed: 3, host: '127.0.0.1', port, certs, token: 'secret' }, api, () => undefined);
    try {
      expect(successor.metricsUrl).toBe(doomed.metricsUrl);
      expect((await get(successor.metricsUrl, 'secret', certs.caPem)).status).toBe(200);
    } finally {
      await successor.stop();
    }
  });

  it('ends its thread on stop', async () => {
    const t = thread!;
    thread = undefined;
    await t.stop();
    expect(await t.metrics()).toEqual({ contentType: 'text/plain; charset=utf-8', body: '' });
  });
});
