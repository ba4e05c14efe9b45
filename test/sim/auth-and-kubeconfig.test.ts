import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startSim } from '../../src/sim/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-sim-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the sim\'s credentials', () => {
  it('takes the bearer scheme in any case, as the real apiserver does, and writes a kubeconfig only its owner reads, even over an older file', async () => {
    const kubeconfigOut = path.join(dir, 'kubeconfig');
    // An older sim kubeconfig, readable by all (as files were written before).
    writeFileSync(kubeconfigOut, 'current-context: kbench-sim\n', { mode: 0o644 });
    const sim = await startSim({ storage: 'memory', nodes: 0, kubeconfigOut });
    try {
      expect(statSync(kubeconfigOut).mode & 0o777).toBe(0o600);
      const { Agent } = await import('undici');
      const dispatcher = new Agent({ connect: { ca: sim.caPem } });
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        const res = await request(`${sim.url}/api/v1/namespaces`, { headers: { authorization: `${scheme} ${sim.token}` }, dispatcher });
        await res.body.text();
        expect(res.statusCode, scheme).toBe(200);
      }
      const wrong = await request(`${sim.url}/api/v1/namespaces`, { headers: { authorization: `Basic ${sim.token}` }, dispatcher });
      await wrong.body.text();
      expect(wrong.statusCode).toBe(401);
      await dispatcher.close();
    } finally {
      await sim.stop();
    }
  });
});
