import type { CleanupReport, Manifest } from './format.js';

/**
 * Result sets of format 1 (kbench 0.1), read as format 2. What format 1 did not record is
 * filled with what it meant then, never with a guess presented as a measurement.
 */

type Json = Record<string, unknown>;

/** What format 1's one-line cleanup said, as a format 2 report (it never checked the deletes). */
function cleanupV1(text: unknown): CleanupReport | undefined {
  if (typeof text !== 'string') return undefined;
  const action: CleanupReport['action'] = text.startsWith('namespaces deleted') ? 'delete' : text.startsWith('kept') ? 'keep' : text.includes('sim') ? 'discard' : 'none';
  const message = action === 'delete' ? 'deletion requested (format 1 did not check the answers: the namespaces may still exist)' : text;
  return { action, message, namespaces: [] };
}

export function upgradeManifest(m: Json, summary: Json): Manifest {
  const measurements = ['pods', 'api', 'harness', ...(summary.collectors ? ['control-plane'] : [])];
  const { cleanup, ...rest } = m;
  const upgraded = {
    mode: 'run',
    args: [],
    overrides: [],
    seed: 1,
    host: { node: '', platform: '', cpus: 0, hostname: '' },
    ...rest,
    formatVersion: 2,
    measurements,
  } as unknown as Manifest;
  const c = cleanupV1(cleanup);
  if (c) upgraded.cleanup = c;
  return upgraded;
}

export function upgradeSummary(s: Json): Json {
  const out: Json = { ...s, formatVersion: 2 };
  const pods = s.pods as Json | undefined;
  if (pods) {
    // Format 1 started a pod's clock at kbench's create or else creationTimestamp; it did not count which.
    out.pods = { ...pods, watch: pods.watch ?? { reconnects: 0, relists: 0 }, starts: {} };
  }
  return out;
}
