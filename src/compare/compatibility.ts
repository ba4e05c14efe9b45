import { isDeepStrictEqual } from 'node:util';
import type { Manifest } from '../results/format.js';
import type { ResultFolder } from '../results/reader.js';

/** What says which workload a run ran: a manifest, or a run about to start. */
export type WorkloadIdentity = { workload: Pick<Manifest['workload'], 'name' | 'sha256' | 'resolved'>; args?: string[] };

/**
 * The workload as it shapes the load: everything in the resolved spec but the target's
 * own settings (the sim's size and speed, where collectors scrape), which are what a
 * before/after comparison changes, and the seed (warned about).
 */
function loadShape(m: WorkloadIdentity): Record<string, unknown> {
  const { sim: _sim, collect: _collect, description: _d, seed: _seed, ...rest } = m.workload.resolved;
  return rest;
}

/** Why A and B are not runs of the same workload, or undefined when they are. */
export function workloadMismatch(a: WorkloadIdentity, b: WorkloadIdentity): string | undefined {
  if (a.workload.name !== b.workload.name) return `A ran workload "${a.workload.name}" and B ran "${b.workload.name}"`;
  const sa = loadShape(a);
  const sb = loadShape(b);
  if (isDeepStrictEqual(sa, sb)) return undefined;
  const fields = [...new Set([...Object.keys(sa), ...Object.keys(sb)])].filter((k) => !isDeepStrictEqual(sa[k], sb[k]));
  return `both ran workload "${a.workload.name}" but with different load (${fields.map((f) => `\`${f}\``).join(', ')} differ${a.workload.sha256 !== b.workload.sha256 ? '; the workload file changed' : ''}${(a.args ?? []).some((x) => x.startsWith('--set')) || (b.args ?? []).some((x) => x.startsWith('--set')) ? '; check --set overrides' : ''})`;
}

/** What differs between the two runs besides the change under test: worth knowing, not fatal. */
export function comparisonWarnings(a: ResultFolder, b: ResultFolder): string[] {
  const w: string[] = [];
  const ma = a.manifest;
  const mb = b.manifest;
  if (ma.kbenchVersion !== mb.kbenchVersion) w.push(`different kbench versions: A ${ma.kbenchVersion}, B ${mb.kbenchVersion}`);
  const ta = ma.target;
  const tb = mb.target;
  if (ta.kind !== tb.kind) w.push(`different targets: A ran on ${ta.kind === 'sim' ? 'the sim' : 'a cluster'}, B on ${tb.kind === 'sim' ? 'the sim' : 'a cluster'}`);
  else if (ta.kind === 'cluster' && ta.server !== tb.server) w.push(`different clusters: A ${ta.server}, B ${tb.server}`);
  if (ta.serverVersion && tb.serverVersion && ta.serverVersion !== tb.serverVersion) w.push(`different Kubernetes versions: A ${ta.serverVersion}, B ${tb.serverVersion}`);
  if (ta.nodes !== undefined && tb.nodes !== undefined && ta.nodes !== tb.nodes) w.push(`different node counts: A ${ta.nodes}, B ${tb.nodes}`);
  if (!isDeepStrictEqual(ma.workload.resolved.sim, mb.workload.resolved.sim)) w.push('different sim settings (the workload `sim:` block or --set sim.*)');
  if (ma.workload.resolved.seed !== mb.workload.resolved.seed) w.push(`different seeds: A ${String(ma.workload.resolved.seed)}, B ${String(mb.workload.resolved.seed)} (names and random choices differ)`);
  if (ma.host && mb.host && ma.host.hostname !== mb.host.hostname) w.push(`run from different machines: A ${ma.host.hostname} (${ma.host.cpus} CPUs), B ${mb.host.hostname} (${mb.host.cpus} CPUs)`);
  for (const [name, r] of [
    ['A', a],
    ['B', b],
  ] as const) {
    if (r.summary.status !== 'complete') w.push(`${name} did not complete (status ${r.summary.status}): it measured only part of the workload`);
    if (r.summary.harness?.bottleneck) w.push(`${name}: kbench itself was the bottleneck (${r.summary.harness.reason ?? 'saturated'}); its latencies measure kbench as much as the cluster`);
  }
  return w;
}
