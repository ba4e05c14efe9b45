import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

/**
 * Bytecode a function runs before V8 considers optimizing it with TurboFan: 16 times V8's
 * 67,584. A short command ends before most optimized code repays its compile; a long run's
 * hot functions reach the budget within moments anyway.
 */
const INTERRUPT_BUDGET = 16 * 67_584;

/**
 * V8 settings for kbench's own commands (not `kbench sim`, which wants a large young
 * generation for its allocation rate; `--sim` starts it with one). Set at run time, before
 * V8 first reads them, so the bin needs no launcher. Measured on the 400-pod density run
 * (npm run bench:harness, 2026-12-03): peak RSS 132-135 MiB -> 97-99 MiB, CPU 1.87-2.40 ->
 * 1.64-2.01 s.
 * - undici parses HTTP with llhttp compiled to WebAssembly. V8 later compiles its parser
 *   again with TurboFan on a background thread, and that compile's zones (about 35 MiB) stay
 *   in the thread's malloc arena for the rest of the process. Liftoff, the compiler every
 *   WebAssembly function starts on, is kept. V8 aborts under --liftoff-only where Liftoff
 *   needs a CPU feature it lacks (SSE4.1 for llhttp's SIMD build on x64), so it is only set
 *   where that feature is known to be there.
 * - TurboFan waits for 16 times as much of a function's bytecode to have run before it
 *   compiles the function (--interrupt-budget). The 400-pod run, eight runs each way
 *   alternating: 1.91 -> 1.76 CPU-s (median), lower in each pair.
 * - The young generation stays at its first 1 MiB semi-space (instead of up to 16 MiB, 32
 *   MiB resident). It used to grow again once the heap passed 64 MiB in use, because on the
 *   150k run a small one then promoted garbage a large one let die (peak 342 -> 473 MiB).
 *   Since pods are table rows and pods.csv is joined without csv-stringify, that garbage is
 *   gone, and the growth only added its 32 MiB at the end of the run: the 150k memory run
 *   (npm run bench:150k, 2026-12-03 18:23 UTC) peaked at 216 MiB, against 247 with it.
 */
export function tuneV8ForCommand(command: string | undefined): void {
  if (command === 'sim') return;
  if (liftoffHasWhatItNeeds()) setFlagsFromString('--liftoff-only');
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  setFlagsFromString('--semi-space-growth-factor=1');
}

function liftoffHasWhatItNeeds(): boolean {
  if (process.arch === 'arm64') return true; // NEON is part of the architecture
  if (process.arch !== 'x64') return false;
  try {
    return /\bsse4_1\b/.test(readFileSync('/proc/cpuinfo', 'latin1'));
  } catch {
    return false; // not Linux: leave V8 as it is
  }
}
