import path from 'node:path';
import { type MergeOutcome, MergeRefused, mergeShards, openShard, planMerge } from '../results/merge.js';
import { ResultFolder } from '../results/reader.js';
import { checkOutDir, ResultFolderUnusable } from '../results/writer.js';
import { EXIT, RunError, UsageError } from './errors.js';
import type { MergeArgs } from './flags.js';
import { writeReport } from './report.js';
import { verdictTable } from './verdict-table.js';

/** Merges shard result sets into `out`; bad input is a UsageError, nothing written. */
export async function mergeFolders(dirs: readonly string[], out: string, o: { allowMissing: boolean; args: string[] }): Promise<MergeOutcome> {
  try {
    await checkOutDir(out);
  } catch (e) {
    if (e instanceof ResultFolderUnusable) throw new UsageError(`--out: ${e.message}`);
    throw e;
  }
  try {
    const plan = planMerge(
      dirs.map((d) => openShard(d)),
      o,
    );
    return await mergeShards(plan, out, o.args);
  } catch (e) {
    if (e instanceof MergeRefused) throw new UsageError(e.message);
    throw e;
  }
}

/** What `merge` and `job results` print of a merged result set, and the exit code it sets. */
export async function reportMerged(m: MergeOutcome): Promise<void> {
  const rel = path.relative(process.cwd(), m.dir) || m.dir;
  const whole = m.shards.filter((s) => !s.missing).length;
  console.log(`merged ${m.shards.length - m.shards.filter((s) => s.from === '').length} of ${m.shards.length} shards of run ${m.shards[0]?.runId ?? ''} into ${rel} (${m.podCount} pods)`);
  for (const s of m.shards) console.log(`  shard ${s.index}: ${s.from || '(no result set)'}  ${s.status}${s.missing ? `  ! ${s.missing}` : ''}`);
  console.log(`\nSLO verdicts\n`);
  console.log(verdictTable(m.verdicts));
  for (const w of m.warnings) console.log(`\nwarning: ${w}`);
  try {
    const report = await writeReport(ResultFolder.open(m.dir), path.join(m.dir, 'report.html'));
    console.log(`\nreport: ${path.relative(process.cwd(), report) || report}`);
  } catch (e) {
    console.log(`\nwarning: writing the report failed: ${(e as Error).message}`);
  }
  if (m.status !== 'complete') {
    throw new RunError(`the merged run is ${m.status}: ${m.error ?? `${m.shards.length - whole} shard(s) not whole`}; ${rel} says so (status, shards)`);
  }
  const failed = m.verdicts.filter((v) => v.verdict === 'fail').length;
  console.log(`\n${failed === 0 ? 'all SLOs met' : `${failed} SLO${failed === 1 ? '' : 's'} violated`}`);
  if (failed > 0) process.exitCode = EXIT.sloViolated;
}

export async function mergeHandler(args: MergeArgs): Promise<void> {
  const merged = await mergeFolders(args.dirs, args.out, { allowMissing: args.allowMissing, args: process.argv.slice(2) });
  await reportMerged(merged);
}
