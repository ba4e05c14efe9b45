import type { ResourceDef } from './resource-def.js';
import { storagePrefix } from './storage-keys.js';
import { namespaces, nodes } from './resources/cluster.js';
import { events, eventsV1 } from './resources/events.js';
import { flowschemas, prioritylevelconfigurations } from './resources/flowcontrol.js';
import { configmaps, leases, secrets, services, serviceaccounts } from './resources/misc.js';
import { pods } from './resources/pods.js';
import { deployments, replicasets } from './resources/workloads.js';

/**
 * Every resource the simulated apiserver serves. Adding a resource is one entry here (a
 * ResourceDef); discovery, the REST verbs, watch, metrics and tables all follow from it.
 */
export const RESOURCES: readonly ResourceDef[] = [
  namespaces,
  nodes,
  pods,
  events,
  configmaps,
  secrets,
  services,
  serviceaccounts,
  deployments,
  replicasets,
  leases,
  eventsV1,
  flowschemas,
  prioritylevelconfigurations,
];

export class Registry {
  readonly #byPath = new Map<string, ResourceDef>();
  readonly resources: readonly ResourceDef[];

  constructor(resources: readonly ResourceDef[] = RESOURCES) {
    this.resources = resources;
    for (const r of resources) this.#byPath.set(`${r.group}/${r.version}/${r.resource}`, r);
  }

  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.#byPath.get(`${group}/${version}/${resource}`);
  }

  /** Group name -> versions served, in discovery order ('' is the legacy core group). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.resources) {
      const versions = out.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      out.set(r.group, versions);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.resources.filter((r) => r.group === group && r.version === version);
  }

  /** Distinct storage prefixes (two served versions may share one, like events). */
  storagePrefixes(): string[] {
    return [...new Set(this.resources.map((r) => storagePrefix(r)))];
  }
}
