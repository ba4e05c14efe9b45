import logUpdate from 'log-update';
import type { ProgressView, RunEvent } from '../run/events.js';
import { formatDuration } from '../util/duration.js';

function bar(done: number, total: number, width = 24): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${'='.repeat(Math.max(0, n - 1))}${n > 0 ? '>' : ''}${' '.repeat(width - n)}]`;
}

function eta(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || done >= total) return '';
  return ` ETA ${formatDuration(((total - done) * elapsedMs) / done)}`;
}

/**
 * Progress as the run goes: on a terminal a live block per phase (operations, pods
 * created / scheduled / running, rate, ETA, elapsed); elsewhere (CI logs) one line every
 * few seconds. Info lines go through the same channel so they do not tear the live block.
 */
export class ConsoleReporter {
  readonly #tty: boolean;
  #last: ProgressView | undefined;
  #lastLineAt = 0;
  #phaseStartedAt = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly title: string,
    private readonly lineIntervalMs = 5000,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#tty = !!stream.isTTY && !process.env.CI;
    if (this.#tty) {
      // Redraw even between events (waits have few), so elapsed time keeps moving.
      this.#timer = setInterval(() => this.#draw(), 500);
      this.#timer.unref();
    }
  }

  /** The run's events: phases and info lines as lines, progress in the live view. */
  readonly listener = (e: RunEvent): void => {
    switch (e.type) {
      case 'run-start':
        return this.info(`run ${e.runId}: result set ${e.dir}`);
      case 'info':
        return this.info(e.line);
      case 'progress':
        return this.progress(e.view);
      case 'phase-start':
        this.#phaseStartedAt = performance.now();
        return this.info(`phase ${e.number}/${e.count} ${e.phase.name} (${e.phase.action}) started`);
      case 'phase-end': {
        const r = e.result;
        const ops = r.operations ? `: ${r.operations.succeeded}/${r.operations.planned} ok${r.operations.failed ? `, ${r.operations.failed} failed` : ''}${r.operations.skipped ? `, ${r.operations.skipped} skipped` : ''}` : '';
        return this.info(`phase ${e.phase.name} ${r.status} in ${(r.durationMs / 1000).toFixed(1)} s${ops}${r.error ? ` (${r.error})` : ''}`);
      }
      case 'cleanup-start':
        return this.info(`cleanup: deleting the run's ${e.namespaces} namespace(s)${e.waitMs > 0 ? `; waiting up to ${Math.round(e.waitMs / 1000)} s for them to go (Ctrl-C stops the wait)` : ''}`);
    }
  };

  info(line: string): void {
    if (this.#tty) {
      logUpdate.clear();
      console.error(line);
      this.#draw();
    } else {
      console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
    }
  }

  progress(view: ProgressView): void {
    this.#last = view;
    if (this.#tty) return;
    const now = performance.now();
    if (now - this.#lastLineAt < this.lineIntervalMs) return;
    this.#lastLineAt = now;
    const v = view;
    const ops = v.phase.operations > 0 ? `${v.done}/${v.total} ops (${v.requestsPerS.toFixed(0)}/s)` : `${v.done}/${v.total} pods ${v.phase.spec.wait?.for ?? ''}`;
    console.error(
      `[${new Date().toISOString().slice(11, 19)}] ${formatDuration(v.elapsedMs)} phase ${v.phaseNumber}/${v.phaseCount} ${v.phase.name}: ${ops}${v.pods ? `; pods seen ${v.pods.seen}, scheduled ${v.pods.scheduled}, running ${v.pods.running} of ${v.pods.expected} expected` : ''}`,
    );
  }

  #draw(): void {
    const v = this.#last;
    if (!this.#tty || !v) return;
    const phaseMs = performance.now() - this.#phaseStartedAt;
    const unitLabel = v.phase.operations > 0 ? 'operations' : `pods ${v.phase.spec.wait?.for ?? ''}`.trim();
    const rate = v.phase.operations > 0 ? `  ${v.requestsPerS.toFixed(0)}/s` : '';
    logUpdate(
      [
        `${this.title}  phase ${v.phaseNumber}/${v.phaseCount} ${v.phase.name} (${v.phase.action})  elapsed ${formatDuration(v.elapsedMs)}`,
        `  ${unitLabel.padEnd(12)} ${String(v.done).padStart(7)}/${v.total} ${bar(v.done, v.total)}${rate}${eta(v.done, v.total, phaseMs)}`,
        ...(v.pods ? [`  pods         seen ${v.pods.seen}  scheduled ${v.pods.scheduled}  running ${v.pods.running}  (expected ${v.pods.expected})`] : []),
      ].join('\n'),
    );
  }

  done(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#tty) logUpdate.done();
  }
}
