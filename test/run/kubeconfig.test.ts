import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { connect, TargetError } from '../../src/cluster/target.js';
import type { SimHandle } from '../../src/sim/index.js';
import { startTestSim } from '../helpers/sim-fixture.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes a kubeconfig with one context (`ctx`) to a new folder; returns its path. */
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const folder = path.join(dir, `k${n++}`);
  mkdirSync(folder);
  const file = path.join(folder, 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
      ...extra,
    }),
  );
  return file;
}

const open = (file: string, context?: string) => connect({ kind: 'kubeconfig', file, source: 'flag', ...(context ? { context } : {}) });

describe('the kubeconfig reader', () => {
  it('reads files named in the kubeconfig relative to its folder, and -data before the file', async () => {
    const file = kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt', 'tls-server-name': 'kubernetes' }, { 'client-certificate': '../shared/client.crt', 'client-key-data': Buffer.from('KEY').toString('base64') });
    writeFileSync(path.join(path.dirname(file), 'ca.crt'), 'CA');
    mkdirSync(path.join(dir, 'shared'), { recursive: true });
    writeFileSync(path.join(dir, 'shared', 'client.crt'), 'CERT');
    const c = await open(file);
    expect(String(c.tls.ca)).toBe('CA');
    expect(String(c.tls.cert)).toBe('CERT');
    expect(String(c.tls.key)).toBe('KEY');
    expect(c.tls.servername).toBe('kubernetes');
    expect(c.tls.rejectUnauthorized).toBeUndefined();
    expect(c.server.href).toBe('https://127.0.0.1:6443/');
    expect(c.context).toBe('ctx');
    expect(await c.headers()).toEqual({});
  });

  it('reads a token file afresh for each refresh (bound tokens rotate)', async () => {
    const file = kubeconfig({ server: 'https://h:1', 'insecure-skip-tls-verify': true }, { tokenFile: 'token' });
    const tokenFile = path.join(path.dirname(file), 'token');
    writeFileSync(tokenFile, 'first\n');
    const c = await open(file);
    expect(c.tls.rejectUnauthorized).toBe(false);
    expect(await c.headers()).toEqual({ authorization: 'Bearer first' });
    writeFileSync(tokenFile, 'second');
    expect(await c.headers()).toEqual({ authorization: 'Bearer second' });
  });

  it('sends basic auth and the user to act as', async () => {
    const c = await open(kubeconfig({ server: 'https://h:1' }, { username: 'ann', password: 'p:w', as: 'bob' }));
    expect(await c.headers()).toEqual({ authorization: `Basic ${Buffer.from('ann:p:w').toString('base64')}`, 'impersonate-user': 'bob' });
  });

  it('chooses the named context over the current one', async () => {
    const file = kubeconfig({ server: 'https://first:1' }, { token: 't' }, {
      clusters: [
        { name: 'c', cluster: { server: 'https://first:1' } },
        { name: 'other', cluster: { server: 'https://second:2' } },
      ],
      contexts: [
        { name: 'ctx', context: { cluster: 'c', user: 'u' } },
        { name: 'two', context: { cluster: 'other', user: 'u' } },
      ],
    });
    expect((await open(file)).server.host).toBe('first:1');
    const two = await open(file, 'two');
    expect(two.server.host).toBe('second:2');
    expect(two.context).toBe('two');
  });

  const refusals: [string, () => string, RegExp][] = [
    ['an unknown --context, naming the ones there are', () => kubeconfig({ server: 'https://h:1' }, {}), /context "nope" is not in .*config \(it has: ctx\)/],
    ['no current context', () => kubeconfig({ server: 'https://h:1' }, {}, { 'current-context': '' }), /has no current cluster \(set current-context or pass --context\)/],
    ['a context naming a missing cluster', () => kubeconfig({ server: 'https://h:1' }, {}, { contexts: [{ name: 'ctx', context: { cluster: 'gone', user: 'u' } }] }), /names cluster "gone", which is not in the file/],
    ['a cluster without a server', () => kubeconfig({}, {}), /cluster "c" has no server/],
    ['an invalid server URL', () => kubeconfig({ server: 'not a url' }, {}), /cluster "c" has an invalid server URL: not a url/],
    ['a proxy', () => kubeconfig({ server: 'https://h:1', 'proxy-url': 'http://proxy:3128' }, {}), /sets proxy-url, which kbench does not support/],
    ['a certificate without its key', () => kubeconfig({ server: 'https://h:1' }, { 'client-certificate-data': 'Q0VSVA==' }), /user "u" has a client certificate without a key/],
    ['a CA file that is not there', () => kubeconfig({ server: 'https://h:1', 'certificate-authority': 'missing.crt' }, {}), /cannot read the certificate authority .*missing\.crt: ENOENT/],
    ['a token file that is not there', () => kubeconfig({ server: 'https://h:1' }, { tokenFile: 'missing-token' }), /user "u": cannot read its credentials: .*missing-token/],
    ['impersonated groups', () => kubeconfig({ server: 'https://h:1' }, { as: 'x', 'as-groups': ['g'] }), /as-groups, as-uid or as-user-extra, which kbench does not support/],
    ['a list that is not a list', () => kubeconfig({ server: 'https://h:1' }, {}, { users: { u: {} } }), /"users" is not a list/],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what} with a message naming it`, async () => {
      const file = make();
      const e = await open(file, what.startsWith('an unknown --context') ? 'nope' : undefined).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(TargetError);
      expect((e as Error).message).toMatch(message);
    });
  }

  it('does not quote a broken file (a kubeconfig holds secrets)', async () => {
    const file = path.join(dir, 'broken');
    writeFileSync(file, 'users:\n  - name: u\n    user: {token: "s3cret-token\n   bad: [\n');
    const e = (await open(file).catch((err: unknown) => err)) as Error;
    expect(e).toBeInstanceOf(TargetError);
    expect(e.message).toMatch(/not valid YAML at line \d+, column \d+/);
    expect(e.message).not.toContain('s3cret');
  });

  it('refuses the in-cluster configuration without the service environment', async () => {
    await expect(connect({ kind: 'in-cluster' }, {})).rejects.toThrow(/KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/);
  });
});

describe('kubeconfig credentials against the sim', () => {
  let sim: SimHandle;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 0 });
    sim = t.sim;
    stop = t.stop;
  }, 60_000);
  afterAll(async () => {
    await stop?.();
  });

  async function status(file: string): Promise<number> {
    const client = new KubeClient(await open(file), { timeoutMs: 10_000, maxRetries: 0 });
    try {
      return (await client.call('GET', '/api/v1/namespaces', { retry: false })).status;
    } finally {
      await client.close();
    }
  }

  it('authenticates with a CA file and a token file', async () => {
    const file = kubeconfig({ server: sim.url, 'certificate-authority': 'ca.crt' }, { tokenFile: 'token' });
    writeFileSync(path.join(path.dirname(file), 'ca.crt'), sim.caPem);
    writeFileSync(path.join(path.dirname(file), 'token'), sim.token);
    expect(await status(file)).toBe(200);
    writeFileSync(path.join(path.dirname(file), 'token'), 'wrong');
    expect(await status(file)).toBe(401);
  });

  it('takes the token an exec plugin prints (through @kubernetes/client-node)', async () => {
    const file = kubeconfig({ server: sim.url, 'certificate-authority-data': Buffer.from(sim.caPem).toString('base64') }, {});
    const plugin = path.join(path.dirname(file), 'plugin.sh');
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: sim.token } });
    writeFileSync(plugin, `#!/bin/sh\necho '${credential}'\n`);
    chmodSync(plugin, 0o755);
    const withExec = kubeconfig({ server: sim.url, 'certificate-authority-data': Buffer.from(sim.caPem).toString('base64') }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } });
    expect(await status(withExec)).toBe(200);
    // Without the plugin the same cluster refuses the request.
    expect(await status(file)).toBe(401);
  });

  it('says which plugin failed when it gives no credential', async () => {
    const file = kubeconfig({ server: sim.url }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/false', interactiveMode: 'Never' } });
    await expect(open(file)).rejects.toThrow(/user "u" in .*config: its exec plugin gave no credentials/);
  });
});
