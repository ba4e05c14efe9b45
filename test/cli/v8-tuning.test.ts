import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TUNING = fileURLToPath(new URL('../../dist/cli/v8-tuning.js', import.meta.url));
const COLLECT = fileURLToPath(new URL('../../dist/util/collect-garbage.js', import.meta.url));

/**
 * Runs tuneV8ForCommand(command) in a fresh node (V8 flags are per process), then allocates
 * garbage with some survivors and reports the young generation's size (MiB) with a small
 * heap, and again with about 80 MiB in use.
 */
function youngGeneration(command: string): { small: number; large: number } {
  const script = `
    import v8 from 'node:v8';
    import { tuneV8ForCommand } from ${JSON.stringify(TUNING)};
    tuneV8ForCommand(${JSON.stringify(command)});
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
    const keep = [];
    const churn = (n) => { for (let i = 0; i < n; i++) { const o = { s: 'x'.repeat(64) + i }; if (i % 4 === 0) keep.push(o); if (keep.length > 50000) keep.splice(0, 25000); } };
    churn(1e6);
    const small = young();
    const big = Array.from({ length: 80 }, () => new Array(2 ** 17).fill(1.5)); // about 80 MiB in use
    await new Promise((r) => setTimeout(r, 100));
    churn(3e6);
    console.log(JSON.stringify({ small, large: young(), kept: big.length }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { small: number; large: number };
}

describe('V8 settings of kbench commands', () => {
  it('keeps the young generation at its first size, however large the heap grows', () => {
    const run = youngGeneration('run');
    expect(run.small).toBeLessThanOrEqual(2);
    expect(run.large).toBeLessThanOrEqual(2);
  });

  it('leaves the sim as V8 sets it up: its young generation grows at once', () => {
    expect(youngGeneration('sim').small).toBeGreaterThan(2);
  });
});

describe('collectGarbage', () => {
  it('frees a run\'s dropped data at once, before the report reads the result set back', () => {
    const script = `
      import { collectGarbage } from ${JSON.stringify(COLLECT)};
      const used = () => Math.round(process.memoryUsage().heapUsed / 2 ** 20);
      let pods = Array.from({ length: 1e6 }, (_, i) => ({ name: 'pod-' + i, t: [i, i + 1] }));
      const live = used();
      pods = null;
      const dropped = used();
      collectGarbage();
      console.log(JSON.stringify({ live, dropped, collected: used() }));
    `;
    const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { live: number; dropped: number; collected: number };
    expect(r.live).toBeGreaterThan(80);
    expect(r.dropped).toBeGreaterThan(80); // V8 alone has not collected it yet
    expect(r.collected).toBeLessThan(20);
  });
});

describe('TurboFan under kbench commands', () => {
  /** Calls a small function `calls` times in a fresh node after tuneV8ForCommand(command); whether V8 has optimized it (or is about to). */
  function tieredUp(command: string, calls: number): boolean {
    const script = `
      import v8 from 'node:v8';
      import { tuneV8ForCommand } from ${JSON.stringify(TUNING)};
      tuneV8ForCommand(${JSON.stringify(command)});
      v8.setFlagsFromString('--allow-natives-syntax');
      const status = new Function('f', 'return %GetOptimizationStatus(f)');
      function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * 7) % 13; return s; }
      for (let i = 0; i < ${calls}; i++) hot(100);
      // Optimized (16), or marked for it or being compiled (256, 512, 1024); a concurrent compile gets 2 s to land.
      let tiered = false;
      for (let t = 0; t < 20 && !tiered; t++) { await new Promise((r) => setTimeout(r, 100)); hot(100); tiered = (status(hot) & (16 | 256 | 512 | 1024)) !== 0; }
      console.log(JSON.stringify(tiered));
    `;
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as boolean;
  }

  it('waits for more of a function to have run before optimizing it, but does optimize it', () => {
    expect(tieredUp('sim', 60)).toBe(true); // V8's own budget
    expect(tieredUp('run', 60)).toBe(false);
    expect(tieredUp('run', 5000)).toBe(true);
  });
});
