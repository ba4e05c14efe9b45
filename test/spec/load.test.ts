import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatSpecError, loadWorkload } from '../../src/spec/load.js';
import { resolveWorkload } from '../../src/spec/resolve.js';
import { schemaJson } from '../../src/cli/schema.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = path.join(ROOT, 'dist/cli/main.js');
const broken = (f: string): string => path.join(ROOT, 'test/fixtures/broken', f);

function errorsOf(file: string, sets: string[] = []): string[] {
  const r = loadWorkload(file, sets);
  if (r.ok) throw new Error(`${file} unexpectedly valid`);
  return r.errors.map(formatSpecError);
}

describe('workload specs', () => {
  const workloads = readdirSync(path.join(ROOT, 'workloads')).filter((f) => f.endsWith('.yaml'));

  it.each(workloads)('workloads/%s is valid', (f) => {
    const r = loadWorkload(path.join(ROOT, 'workloads', f));
    expect(r.ok ? [] : r.errors.map(formatSpecError)).toEqual([]);
  });

  it('workloads/schema.json is the schema kbench checks against', () => {
    expect(readFileSync(path.join(ROOT, 'workloads/schema.json'), 'utf8')).toBe(schemaJson());
  });

  it('resolves the 150k-pods plan as PayPal ran it', () => {
    const r = loadWorkload(path.join(ROOT, 'workloads/150k-pods.yaml'));
    if (!r.ok) throw new Error('invalid');
    const w = resolveWorkload(r.workload);
    expect(w.expectedPods).toBe(150_000);
    expect(w.phases[0]!.pacing).toMatchObject({ mode: 'closed', workers: 10 });
    // 3000 pods per namespace at most: 12 Deployments of 250 each, 50 namespaces.
    expect(w.namespaceCount).toBe(50);
    expect(w.sim).toMatchObject({ nodes: 4100, nodeCpu: '4', nodePods: 40 });
  });

  it('applies --set overrides and reports bad ones with the expression', () => {
    const r = loadWorkload(path.join(ROOT, 'workloads/smoke.yaml'), ['sim.storage=etcd', 'phases[1].create.count=7']);
    if (!r.ok) throw new Error(r.errors.map(formatSpecError).join('\n'));
    expect(r.workload.spec.sim?.storage).toBe('etcd');
    expect(r.workload.spec.phases[1]!.create!.count).toBe(7);
    expect(errorsOf(path.join(ROOT, 'workloads/smoke.yaml'), ['sim.storage=floppy'])[0]).toMatch(/^--set sim\.storage=floppy: sim\.storage: must be one of/);
  });

  it.each([
    ['unknown-field.yaml', /unknown-field\.yaml:5:5: phases\[0\]\.wokers: unknown field "wokers"/],
    ['two-actions.yaml', /two-actions\.yaml:3:5: phases\[0\]: a phase has one action, this one has wait and sleep/],
    ['bad-ref.yaml', /bad-ref\.yaml:4:11: phases\[0\]\.get\.from: "nowhere" is not an earlier create phase/],
    ['missing-template.yaml', /missing-template\.yaml:4:14: phases\[0\]\.create\.template: template file \.\.\/templates\/does-not-exist\.yaml not found/],
    ['template-var.yaml', /pod-with-unknown-var\.yaml:8:14: unknown template variable \{\{imagee\}\}/],
    ['template-yaml.yaml', /bad-yaml\.yaml:\d+:\d+: /],
    ['bad-duration.yaml', /bad-duration\.yaml:4:5: phases\[0\]\.sleep: must be a duration/],
    ['yaml-syntax.yaml', /yaml-syntax\.yaml:5:\d+: YAML: /],
    ['wrong-type.yaml', /wrong-type\.yaml:4:\d+: phases\[0\]\.create\.count: must be integer/],
    ['workers-and-rate.yaml', /workers-and-rate\.yaml:6:\d+: phases\[0\]\.arrivalRate: choose workers \(closed loop\) or arrivalRate/],
  ])('%s: names the file, line and field', (file, pattern) => {
    expect(errorsOf(broken(file)).join('\n')).toMatch(pattern);
  });

  it('kbench validate exits 2 with every error, and 0 with the plan', async () => {
    const bad = await run(process.execPath, [CLI, 'validate', broken('bad-ref.yaml')]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad-ref\.yaml:4:11/);
    const good = await run(process.execPath, [CLI, 'validate', path.join(ROOT, 'workloads/smoke.yaml')]);
    expect(good.stdout).toMatch(/expected pods: 300/);
    expect(good.stdout).toMatch(/deployments\s+create 10 Deployments from templates\/deployment\.yaml -> 200 pods/);
  });

  it('kbench run refuses a bad spec before touching any cluster (exit 2, no result folder)', async () => {
    const res = await run(process.execPath, [CLI, 'run', broken('unknown-field.yaml'), '--kubeconfig', '/nonexistent', '--out', '/tmp/kbench-should-not-exist']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown field "wokers"/);
    expect(() => readdirSync('/tmp/kbench-should-not-exist')).toThrow();
  });
});
