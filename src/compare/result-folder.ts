import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { PhaseResult } from '../load/run-phases.js';
import type { HealthSummary } from '../measure/harness-health.js';
import type { Stats } from '../measure/stats.js';
import { decodeHistogram } from '../measure/stats.js';
import type { TargetInfo } from '../run/run-benchmark.js';
import type { SloVerdict } from '../results/slo.js';
import { type Distribution, fromHistogramUs, fromSamples } from './distribution.js';

/** A folder that is not a readable result set. Bad input: exit 2. */
export class ResultFolderError extends Error {}

export interface Manifest {
  kbenchVersion: string;
  runId: string;
  mode?: 'run' | 'collect';
  status: string;
  startedAt: string;
  endedAt: string;
  workload: { name: string; file: string; sha256: string; resolved: Record<string, unknown> };
  args?: string[];
  target: TargetInfo;
  host?: { node: string; platform: string; cpus: number; hostname: string };
}

export interface ApiKeySummary {
  key: string;
  verb: string;
  scope: string;
  count: number;
  errors: Record<string, number>;
  failed: Record<string, number>;
  retries: number;
  latencyMs?: Stats & { unit: string };
}

interface HistogramSummary {
  count: number;
  p50Ms?: number;
  p99Ms?: number;
}
type Maybe<T> = T | { unavailable: string };

/** What collectors wrote into summary.json (issue 5); every reading may be unavailable. */
export interface CollectorsSummary {
  run?: {
    apiserver?: { latency?: Maybe<{ keys: { key: string; count: number; p99Ms?: number }[] }> };
    etcd?: { walFsync?: Maybe<HistogramSummary>; backendCommit?: Maybe<HistogramSummary> };
    scheduler?: { pendingMax?: Maybe<{ total: number }>; bindsPerS?: Maybe<number> };
  };
}

export interface Summary {
  kbenchVersion: string;
  workload: string;
  runId: string;
  status: string;
  durationS: number;
  pods: {
    expected: number;
    seen: number;
    running: number;
    phases: Record<string, Partial<Stats> & { count: number; source?: string }>;
  };
  api: ApiKeySummary[];
  phases: PhaseResult[];
  harness: HealthSummary;
  collectors?: CollectorsSummary;
  slo: SloVerdict[];
  warnings: string[];
}

export type CsvRow = Record<string, string>;

/** A result set read back from its folder, for compare and report. */
export class ResultFolder {
  #pods?: CsvRow[];
  #histograms?: Map<string, string>;

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly summary: Summary,
  ) {}

  static open(dir: string): ResultFolder {
    const abs = path.resolve(dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new ResultFolderError(`${dir} is not a folder; name a result folder that kbench run wrote (results/<workload>-<timestamp>)`);
    const manifestPath = path.join(abs, 'manifest.json');
    if (!existsSync(manifestPath)) throw new ResultFolderError(`${dir} is not a kbench result set: it has no manifest.json`);
    const manifest = readJson<Manifest>(manifestPath);
    const summaryPath = path.join(abs, 'summary.json');
    if (!existsSync(summaryPath)) {
      throw new ResultFolderError(
        manifest.status === 'running'
          ? `${dir} is the result set of a run that was killed before it finished (manifest.json says running, there is no summary.json); nothing in it can be compared`
          : `${dir} has no summary.json; the result set is incomplete`,
      );
    }
    return new ResultFolder(abs, manifest, readJson<Summary>(summaryPath));
  }

  /** A label for headings: the folder name as given on the command line. */
  get name(): string {
    return path.basename(this.dir);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  csv(name: string): CsvRow[] {
    if (!this.has(name)) return [];
    return parse(readFileSync(this.file(name), 'utf8'), { columns: true, skip_empty_lines: true }) as CsvRow[];
  }

  podRows(): CsvRow[] {
    this.#pods ??= this.csv('pods.csv');
    return this.#pods;
  }

  /** Every pod's value of one startup phase (pods.csv column `<phase>_ms`), in ms. */
  podSamples(phase: string): number[] {
    const column = `${phase}_ms`;
    const out: number[] = [];
    for (const row of this.podRows()) {
      const v = row[column];
      if (v !== undefined && v !== '') out.push(Number(v));
    }
    return out;
  }

  podDistribution(phase: string): Distribution {
    return fromSamples(this.podSamples(phase));
  }

  /** The client-side latency histogram of one API key (histograms/index.json), in ms. */
  apiDistribution(key: string): Distribution | undefined {
    if (!this.#histograms) {
      this.#histograms = new Map();
      if (this.has('histograms/index.json')) {
        const index = readJson<{ histograms: { file: string; key?: string }[] }>(this.file('histograms/index.json'));
        for (const h of index.histograms) if (h.key) this.#histograms.set(h.key, h.file);
      }
    }
    const file = this.#histograms.get(key);
    if (!file || !this.has(`histograms/${file}`)) return undefined;
    return fromHistogramUs(decodeHistogram(readFileSync(this.file(`histograms/${file}`), 'utf8').trim()));
  }
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ResultFolderError(`${file} is not valid JSON (${(e as Error).message}); the result set is damaged`);
  }
}
