import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkload } from '../../src/spec/load.js';
import { type ResolvedWorkload, resolveWorkload } from '../../src/spec/resolve.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A workload from YAML text (TEMPLATES stands for workloads/templates), loaded and resolved as kbench does; nothing is left on disk. */
export function workloadFromYaml(yaml: string): ResolvedWorkload {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-workload-'));
  try {
    const file = path.join(dir, 'w.yaml');
    writeFileSync(file, yaml.replaceAll('TEMPLATES', path.join(ROOT, 'workloads/templates')));
    const r = loadWorkload(file);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return resolveWorkload(r.workload);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
