/**
 * Figures of the history's change-point detector on seeded synthetic series (the numbers
 * docs/history.md quotes): false alarms on noise, how often a step in the newest runs is
 * found where it is, with the end fixed and searched, and what a check of 41 series of
 * 100 runs costs. Run: npx tsx test/history/bench-detector.ts  (about a minute on 2 cores)
 */
import { findChangePoints } from '../../src/history/change-points.js';
import { DEFAULT_CHANGE_OPTIONS } from '../../src/history/change-points.js';
import { Random } from '../../src/util/random.js';
import { day, normal } from './fixtures.js';

function series(seed: number, n: number, noisePct: number, level: (i: number) => number): { runId: string; startedAt: string; value: number }[] {
  const r = new Random(seed);
  return Array.from({ length: n }, (_, i) => ({ runId: `r${i}`, startedAt: day(i), value: 1000 * level(i) * (1 + (noisePct / 100) * normal(r)) }));
}

const pct = (k: number, n: number): string => `${((100 * k) / n).toFixed(1)}%`;
console.log(`defaults: ${JSON.stringify(DEFAULT_CHANGE_OPTIONS)}\n`);

console.log('False alarms on noise (no change at all): share of series with any change point, and with a new regression (newest change point a regression within the last 5 runs)');
for (const [n, noise] of [[30, 5], [30, 15], [100, 15]] as const) {
  const N = 1000;
  let any = 0;
  let fresh = 0;
  const t0 = performance.now();
  for (let s = 1; s <= N; s++) {
    const cps = findChangePoints(series(s * 7919 + n, n, noise, () => 1), 'lower', { seed: s });
    if (cps.length) any++;
    const last = cps.at(-1);
    if (last && last.index >= n - 5 && last.direction === 'regression') fresh++;
  }
  console.log(`  ${n} runs, ${noise}% noise: any ${pct(any, N)}, new regression ${pct(fresh, N)}  (${((performance.now() - t0) / N).toFixed(1)} ms a series)`);
}

console.log('\nA +25% step in the newest k of 30 runs: share found at the step (±1 run), end fixed (default) | end searched');
for (const noise of [5, 10, 15]) {
  for (const k of [3, 5, 10]) {
    const N = 300;
    const found = [false, true].map((searchEnd) => {
      let hit = 0;
      for (let s = 1; s <= N; s++) {
        const last = findChangePoints(series(s * 13 + k + noise, 30, noise, (i) => (i >= 30 - k ? 1.25 : 1)), 'lower', { seed: s, searchEnd }).at(-1);
        if (last && last.direction === 'regression' && Math.abs(last.index - (30 - k)) <= 1) hit++;
      }
      return pct(hit, N);
    });
    console.log(`  ${noise}% noise, k = ${k}: ${found.join(' | ')}`);
  }
}

console.log('\nA block 3.3 sd up for runs 15..29 of 45, then back down: share with both edges found (±1), end fixed | end searched');
{
  const N = 200;
  const found = [false, true].map((searchEnd) => {
    let hit = 0;
    for (let s = 1; s <= N; s++) {
      const cps = findChangePoints(series(s, 45, 6, (i) => (i >= 15 && i < 30 ? 1.2 : 1)), 'lower', { seed: s, searchEnd });
      if (cps.some((c) => Math.abs(c.index - 15) <= 1) && cps.some((c) => Math.abs(c.index - 30) <= 1)) hit++;
    }
    return pct(hit, N);
  });
  console.log(`  ${found.join(' | ')}`);
}

console.log('\nA slow drift (+0.1 sd a run for 40 runs, 4 sd in all): change points per series, and the closest two');
for (const minChangePct of [0, 5]) {
  const counts = new Map<number, number>();
  let closest = Infinity;
  for (let s = 1; s <= 200; s++) {
    const cps = findChangePoints(series(s * 31, 40, 3, (i) => 1 + 0.003 * i), 'lower', { seed: s, minChangePct });
    counts.set(cps.length, (counts.get(cps.length) ?? 0) + 1);
    for (let i = 1; i < cps.length; i++) closest = Math.min(closest, cps[i]!.index - cps[i - 1]!.index);
  }
  console.log(`  min change ${minChangePct}%: ${[...counts.entries()].sort(([a], [b]) => a - b).map(([n, c]) => `${n}: ${pct(c, 200)}`).join(', ')}; closest ${closest} runs apart`);
}

console.log('\nCost of a check: 41 series of 100 runs, a +25% step in the newest 4 runs of 21 of them, 5% noise');
{
  const t0 = performance.now();
  let flagged = 0;
  for (let m = 0; m < 41; m++) {
    const stepped = m < 21;
    const last = findChangePoints(series(m + 1, 100, 5, (i) => (stepped && i >= 96 ? 1.25 : 1)), 'lower', { seed: 1 }).at(-1);
    if (last && last.index >= 95 && last.direction === 'regression') flagged++;
  }
  console.log(`  ${((performance.now() - t0) / 1000).toFixed(2)} s of detection; ${flagged} of 41 series flagged (21 had the step)`);
}
