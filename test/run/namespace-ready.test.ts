import { describe, expect, it } from 'vitest';
import type { CallResult } from '../../src/cluster/kube-client.js';
import { waitForDefaultServiceAccounts } from '../../src/run/namespace-ready.js';

/** A cluster whose default ServiceAccounts appear after `delays[ns]` lookups. */
function cluster(answers: Record<string, number[]>): { call(method: string, path: string): Promise<CallResult>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async call(_method: string, path: string): Promise<CallResult> {
      calls.push(path);
      const ns = /namespaces\/([^/]+)\//.exec(path)![1]!;
      const status = answers[ns]!.length > 1 ? answers[ns]!.shift()! : answers[ns]![0]!;
      return { status, body: status === 200 ? '{}' : '{"kind":"Status"}', headers: {} };
    },
  };
}

describe('waiting for the default ServiceAccount of each run namespace', () => {
  it('waits while the account is missing and goes on once every namespace has it', async () => {
    const c = cluster({ a: [404, 404, 200], b: [200] });
    expect(await waitForDefaultServiceAccounts(c, ['a', 'b'], { timeoutMs: 10_000, pollMs: 1 })).toEqual({});
    expect(c.calls).toEqual([
      '/api/v1/namespaces/a/serviceaccounts/default',
      '/api/v1/namespaces/a/serviceaccounts/default',
      '/api/v1/namespaces/a/serviceaccounts/default',
      '/api/v1/namespaces/b/serviceaccounts/default',
    ]);
  });

  it('says which namespace and why when the account never comes', async () => {
    const c = cluster({ a: [200], b: [404] });
    await expect(waitForDefaultServiceAccounts(c, ['a', 'b'], { timeoutMs: 30, pollMs: 5 })).rejects.toThrow(
      /namespace b has no default ServiceAccount after 0 s, so the cluster would refuse its pods .*serviceaccount-controller/,
    );
  });

  it('goes on with a warning when the user may not read service accounts', async () => {
    const c = cluster({ a: [403], b: [404] });
    const res = await waitForDefaultServiceAccounts(c, ['a', 'b'], { timeoutMs: 10_000, pollMs: 1 });
    expect(res.warning).toMatch(/did not wait for the default ServiceAccount .* forbidden \(403\)/);
    expect(c.calls).toHaveLength(1);
  });

  it('stops at once on another answer than found, not found or forbidden, and when aborted', async () => {
    await expect(waitForDefaultServiceAccounts(cluster({ a: [500] }), ['a'], { timeoutMs: 10_000, pollMs: 1 })).rejects.toThrow(
      'cannot read the default ServiceAccount of namespace a: 500',
    );
    const stop = new AbortController();
    stop.abort(new Error('interrupted'));
    await expect(waitForDefaultServiceAccounts(cluster({ a: [404] }), ['a'], { timeoutMs: 10_000, pollMs: 1, signal: stop.signal })).rejects.toThrow('interrupted');
  });
});
