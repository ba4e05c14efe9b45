import path from 'node:path';
import type { ResolvedPhase, ResolvedWorkload } from '../spec/resolve.js';
import { SLO_DEFS, SLO_NAMES } from '../spec/slos.js';
import { formatDuration } from '../util/duration.js';

function pacing(p: ResolvedPhase): string {
  const parts: string[] = [];
  if (p.pacing.mode === 'open') parts.push(`open loop ${p.pacing.arrivalRate}/s (max ${p.pacing.maxInFlight} in flight)`);
  else parts.push(`${p.pacing.workers} workers`);
  if (p.pacing.qps > 0) parts.push(`qps ${p.pacing.qps}, burst ${p.pacing.burst}`);
  if (p.pacing.batch) parts.push(`batches of ${p.pacing.batch.size} every ${formatDuration(p.pacing.batch.intervalMs)}`);
  if (p.pacing.repeat > 1) parts.push(`x${p.pacing.repeat}`);
  return parts.join(', ');
}

function what(p: ResolvedPhase): string {
  const s = p.spec;
  if (p.create) return `create ${p.operations} ${p.create.type.kind}${p.operations === 1 ? '' : 's'} from ${p.create.template.ref}${p.expectedPods ? ` -> ${p.expectedPods} pods` : ''}`;
  if (s.wait) return `wait until ${s.wait.from ? `pods of ${s.wait.from}` : 'all pods'} are ${s.wait.for} (timeout ${formatDuration(p.waitTimeoutMs!)})`;
  if (p.sleepMs !== undefined) return `sleep ${formatDuration(p.sleepMs)}`;
  if (s.list) return `list ${s.list.resource} (${s.list.scope ?? 'namespace'} scope, page ${s.list.limit ?? 500}) x${p.operations}`;
  if (s.get) return `get ${p.operations} objects of ${s.get.from}`;
  if (s.patch) return `patch (${s.patch.type ?? 'merge'}) ${p.operations} objects of ${s.patch.from}`;
  if (s.update) return `update ${p.operations} objects of ${s.update.from}`;
  if (s.scale) return `scale ${p.operations} objects of ${s.scale.from} to ${s.scale.replicas}${p.expectedPods ? '' : ''}`;
  if (s.delete) return `delete ${p.operations} objects of ${s.delete.from}`;
  return p.action;
}

/** The resolved plan, as `kbench validate` prints it. */
export function formatPlan(w: ResolvedWorkload): string {
  const lines: string[] = [];
  lines.push(`workload ${w.name} (${path.relative(process.cwd(), w.file) || w.file}, sha256 ${w.sha256.slice(0, 12)})`);
  if (w.description) lines.push(`  ${w.description}`);
  lines.push(`seed ${w.seed}, timeout ${formatDuration(w.timeoutMs)}`);
  lines.push('phases:');
  const width = Math.max(...w.phases.map((p) => p.name.length));
  for (const p of w.phases) {
    const pace = p.operations > 0 ? `  [${pacing(p)}]` : '';
    lines.push(`  ${String(p.index + 1).padStart(2)}. ${p.name.padEnd(width)}  ${what(p)}${pace}`);
  }
  const objects = w.phases.filter((p) => p.create).reduce((n, p) => n + p.operations, 0);
  lines.push(`objects: ${objects}, expected pods: ${w.expectedPods}`);
  lines.push(
    w.namespaceCount > 0
      ? `namespaces: ${w.namespaceCount} (${w.namespacePrefix}-<run id>-0..${w.namespaceCount - 1}, at most ${w.maxPodsPerNamespace} pods each)`
      : 'namespaces: none (no create phase)',
  );
  const sim = Object.entries(w.sim);
  lines.push(sim.length ? `sim (when the target is kbench sim): ${sim.map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : 'sim: defaults');
  lines.push(`slo: ${SLO_NAMES.map((k) => `${SLO_DEFS[k].text} ${SLO_DEFS[k].kind === 'count' ? `< ${w.slo[k]}` : `<= ${formatDuration(w.slo[k])}`}`).join('; ')}`);
  return lines.join('\n');
}
