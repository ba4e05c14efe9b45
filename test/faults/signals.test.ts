import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest, Summary } from '../../src/results/format.js';
import { gone, killAll, pidsWith, readJsonIf, ROOT, start } from './harness.js';

/**
 * Ctrl-C, SIGTERM and SIGKILL sent to kbench (alone, or to its whole process group as a
 * terminal does) at every stage of a run on the sim it starts: what the user sees, the exit
 * code, what the result set says, and that no process is left behind.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-faults-'));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const STAGES = {
  'target start': /target: kbench sim .*starting it/,
  'run start': /run \S+: result set/,
  'a phase': /phase 3\/5 nap \(sleep\) started/,
  'result writing': /phase all-gone ok in/,
} as const;

type Stage = keyof typeof STAGES;
let seed = 9100;

async function interrupt(stage: Stage, signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL', group: boolean) {
  const s = ++seed;
  const out = path.join(dir, `${stage.replace(/ /g, '-')}-${signal}-${s}`);
  // The sim makes its folders (its etcd's data among them) in the temp folder: this run's own.
  const tmp = mkdtempSync(path.join(dir, 'tmp-'));
  const p = start(['run', path.join(ROOT, 'test/fixtures/faults.yaml'), '--sim', '--seed', String(s), '--out', out], { TMPDIR: tmp });
  await p.waitFor(STAGES[stage]);
  const sentAt = performance.now() - p.started;
  if (group) process.kill(-p.child.pid!, signal);
  else p.child.kill(signal);
  const exit = await p.exited;
  // The sim kbench started (found by the seed it was given) is gone soon after kbench.
  const left = await gone(['sim', '--lifeline', `--seed ${s}`]);
  const leftFolders = readdirSync(tmp);
  return { out, exit, left, leftFolders, secondsToExit: (exit.at - sentAt) / 1000, stderr: p.lines.map((l) => l.text).join('\n'), manifest: readJsonIf<Manifest>(path.join(out, 'manifest.json')), summary: readJsonIf<Summary>(path.join(out, 'summary.json')) };
}

describe('interrupting kbench run --sim', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while the sim starts: exit 1, nothing run, no result folder, no sim left`, async () => {
      const r = await interrupt('target start', signal, signal === 'SIGINT');
      expect(r.exit.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/interrupted while the (target|sim) was starting/);
      expect(r.manifest).toBeUndefined();
      expect(r.left).toEqual([]);
    }, 180_000);

    for (const stage of ['run start', 'a phase'] as const) {
      it(`${signal} at ${stage}: what was measured is written, marked interrupted, and the sim is stopped`, async () => {
        const r = await interrupt(stage, signal, signal === 'SIGINT');
        expect(r.exit.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`${signal}: stopping, writing what was measured`));
        expect(r.secondsToExit).toBeLessThan(60);
        expect(r.manifest?.status).toBe('interrupted');
        expect(r.summary?.status).toBe('interrupted');
        // The sim was the target and is thrown away: nothing is left anywhere.
        expect(r.manifest?.cleanup?.action).toBe('discard');
        if (stage === 'a phase') expect(r.summary?.pods?.seen).toBe(40);
        expect(r.left).toEqual([]);
      }, 180_000);
    }

    it(`${signal} while results are written: the run is complete or interrupted, and says which, consistently`, async () => {
      const r = await interrupt('result writing', signal, signal === 'SIGINT');
      expect(r.manifest?.status).toMatch(/^(complete|interrupted)$/);
      expect(r.summary?.status).toBe(r.manifest?.status);
      expect(r.exit.code).toBe(r.manifest?.status === 'complete' ? (r.summary!.slo.some((v) => v.verdict === 'fail') ? 3 : 0) : 1);
      expect(r.left).toEqual([]);
    }, 180_000);
  }

  for (const stage of Object.keys(STAGES) as Stage[]) {
    it(`SIGKILL at ${stage}: the sim goes with kbench; a started result set says it never finished`, async () => {
      const r = await interrupt(stage, 'SIGKILL', false);
      expect(r.exit.signal).toBe('SIGKILL');
      expect(r.left).toEqual([]);
      // The sim removed what it made (etcd's data folder too), though its logs had nowhere to go.
      expect(r.leftFolders).toEqual([]);
      if (r.manifest) expect(['running', 'complete', 'interrupted', 'failed']).toContain(r.manifest.status);
      if (stage === 'a phase') expect(r.manifest?.status).toBe('running');
    }, 180_000);
  }

  it('kbench sim killed outright (SIGKILL): its etcds go with it, and its folder, their data and the kubeconfig are removed', async () => {
    const tmp = mkdtempSync(path.join(dir, 'tmp-'));
    const p = start(['sim', '--nodes', '3', '--storage', 'etcd', '--events-etcd'], { TMPDIR: tmp });
    const deadline = Date.now() + 120_000;
    while (!/kubeconfig:\s+\S+/.test(p.stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const kubeconfig = /kubeconfig:\s+(\S+)/.exec(p.stdout)?.[1];
    expect(kubeconfig, p.lines.map((l) => l.text).join('\n')).toBeDefined();
    expect(readdirSync(tmp)).toHaveLength(1);
    expect(pidsWith('etcd', tmp)).toHaveLength(2);
    p.child.kill('SIGKILL');
    expect((await p.exited).signal).toBe('SIGKILL');
    expect(await gone(['etcd', tmp])).toEqual([]);
    const until = Date.now() + 30_000;
    while (readdirSync(tmp).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(tmp)).toEqual([]);
  }, 180_000);

  it('a second Ctrl-C exits at once, naming the run, marks the result set interrupted, and still stops the sim', async () => {
    const s = ++seed;
    const out = path.join(dir, `twice-${s}`);
    const p = start(['run', path.join(ROOT, 'test/fixtures/faults.yaml'), '--sim', '--seed', String(s), '--out', out]);
    await p.waitFor(STAGES['a phase']);
    p.child.kill('SIGINT');
    await p.waitFor(/SIGINT: stopping/);
    p.child.kill('SIGINT');
    const exit = await p.exited;
    expect(exit.code).toBe(1);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const runId = manifest.runId;
    const stderr = p.lines.map((l) => l.text).join('\n');
    // Never left saying running. How far the run got depends on when the second signal came
    // (a run this small may write everything in between); what the folder says and what kbench
    // said agree. The states themselves: markAbandoned's own test.
    expect(manifest.status).toBe('interrupted');
    expect(manifest.endedAt).not.toBe('');
    const summary = readJsonIf<Summary>(path.join(out, 'summary.json'));
    expect(stderr).toMatch(new RegExp(`SIGINT again: exiting at once \\(run ${runId}\\)\n`));
    if (!summary) {
      expect(manifest.error).toMatch(/^SIGINT while stopping: kbench exited at once, without writing the results or cleaning up$/);
      expect(stderr).toMatch(new RegExp(`exited \\(run ${runId}\\): no results were written, nothing was cleaned up`));
    } else if (manifest.error?.startsWith('SIGINT while stopping')) {
      expect(stderr).toMatch(new RegExp(`exited \\(run ${runId}\\): its results were written, the cleanup was not done`));
    } else {
      expect(manifest.cleanup?.action).toBe('discard');
      expect(stderr).toMatch(new RegExp(`exited \\(run ${runId}\\): its result set was written in time`));
    }
    expect(await gone(['sim', '--lifeline', `--seed ${s}`])).toEqual([]);
  }, 180_000);
});
