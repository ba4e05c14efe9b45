import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, kbench } from '../helpers/cli.js';
import { buildComponents, realComponentsGate, Sandbox } from './real-components.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const gate = realComponentsGate('test/cluster/local-ab.test.ts');

interface AppliedSetting {
  key: string;
  value: unknown;
  real: string;
}

function manifestOf(dir: string): { status: string; target: { kind: string; sim?: { settings?: AppliedSetting[] } } } {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
}

describe.runIf(gate !== 'skip')('kbench ab on the real control plane', () => {
  const box = new Sandbox();
  let res: CliResult;
  let out: string;

  beforeAll(async () => {
    if (gate === 'fail') throw new Error('Go is missing: in CI the real control-plane tests must run (install Go 1.26+; see README)');
    await buildComponents();
    out = path.join(box.root, 'ab');
    res = await kbench(['ab', path.join(ROOT, 'workloads/smoke.yaml'), '--local-cluster', '--repeat', '1', '--a', 'sim.controllerQps=20', '--b', 'sim.controllerQps=400', '--out', out], { env: box.env, timeoutMs: 900_000 });
  }, 90 * 60_000);

  afterAll(async () => {
    await box.destroy();
  }, 180_000);

  it('runs A and B each on a local control plane started with its side\'s real flag, compares them, and leaves nothing running', () => {
    // 3: a run or the comparison found SLO violations or a regression on this loaded machine; 1 and 2 are failures.
    expect([0, 3], res.stderr.slice(-3000)).toContain(res.code);
    const ab = JSON.parse(readFileSync(path.join(out, 'ab.json'), 'utf8')) as { order: string[] };
    expect(ab.order).toEqual(['a/run-1', 'b/run-1']);
    for (const [side, qps] of [['a', 20], ['b', 400]] as const) {
      const m = manifestOf(path.join(out, side, 'run-1'));
      expect(m.status).toBe('complete');
      expect(m.target.kind).toBe('local-cluster');
      expect(m.target.sim?.settings?.find((s) => s.key === 'controllerQps')).toEqual({ key: 'controllerQps', value: qps, real: 'kube-controller-manager --kube-api-qps' });
    }
    expect(existsSync(path.join(out, 'comparison.json'))).toBe(true);
    expect(res.stdout).toMatch(/pods started per second/);
    expect(box.processes()).toEqual([]);
  });
});
