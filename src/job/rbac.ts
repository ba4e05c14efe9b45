import { type ResourceType, typeForResource } from '../cluster/resources.js';
import type { ResolvedWorkload } from '../spec/resolve.js';

/** One RBAC rule, with why kbench needs it (README and docs/shards.md print the why). */
export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
  why: string;
}

/**
 * What every shard does whatever the workload: the set-up, the pod tracker and the
 * cleanup. Each line is a call kbench makes (src/cli/open-target.ts, src/run/, the tracker).
 */
const ALWAYS: Rule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'get', 'delete'], why: "create the run's namespaces, read one back when a create was retried, delete them at the end and watch them go" },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'], why: "wait for each new namespace's default ServiceAccount before creating pods in it" },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'], why: "the pod tracker: list and watch the shard's own pods (by label) across the run's namespaces" },
  { apiGroups: [''], resources: ['nodes'], verbs: ['list'], why: "count the cluster's nodes for the result set's manifest" },
  { nonResourceURLs: ['/version', '/readyz'], verbs: ['get'], why: "the server's version for the manifest; /readyz while the run goes, to tell a dead server from a slow one" },
];

/** The shard that scrapes the control plane. */
const COLLECTOR: Rule[] = [{ nonResourceURLs: ['/metrics'], verbs: ['get'], why: "the collecting shard scrapes the apiserver's metrics" }];

/** In kube-system, for the collecting shard on a real cluster (the scheduler's metrics through the pod proxy). */
export const COLLECTOR_KUBE_SYSTEM: Rule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['kube-scheduler'], verbs: ['get'], why: "find the active kube-scheduler from its leader Lease" },
  { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'], why: "scrape that scheduler's /metrics through the apiserver's pod proxy (GET only)" },
];

/** In the Job's namespace: the coordination objects and the uploaded results. */
export const COORDINATION: Rule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch'], why: "the run's coordination ConfigMap (join, phase starts, lost shards) and the result sets uploaded at the end (kbench job results reads them)" },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'list', 'patch', 'update'], why: "one Lease per shard, renewed every second; a restarted shard takes its Lease over (update) before the run starts" },
];

function typeOfPhase(w: ResolvedWorkload, name: string): ResourceType | undefined {
  return w.phases.find((p) => p.name === name)?.create?.type;
}

/** The verbs the workload's own phases use, per resource (kbench.io/run labelled objects in the run's namespaces). */
function workloadRules(w: ResolvedWorkload): Rule[] {
  const verbs = new Map<string, { group: string; resource: string; verbs: Set<string>; whys: Set<string> }>();
  const need = (t: ResourceType | undefined, verb: string, why: string, sub = ''): void => {
    if (!t) return;
    const resource = sub ? `${t.resource}/${sub}` : t.resource;
    const key = `${t.group}/${resource}`;
    const e = verbs.get(key) ?? { group: t.group, resource, verbs: new Set<string>(), whys: new Set<string>() };
    e.verbs.add(verb);
    e.whys.add(why);
    verbs.set(key, e);
  };
  for (const p of w.phases) {
    const s = p.spec;
    if (p.create) need(p.create.type, 'create', `phase ${p.name} creates them`);
    else if (s.get) need(typeOfPhase(w, s.get.from), 'get', `phase ${p.name} gets them`);
    else if (s.list) need(typeForResource(s.list.resource), 'list', `phase ${p.name} lists them`);
    else if (s.patch) need(typeOfPhase(w, s.patch.from), 'patch', `phase ${p.name} patches them`);
    else if (s.update) {
      need(typeOfPhase(w, s.update.from), 'get', `phase ${p.name} reads them to update them`);
      need(typeOfPhase(w, s.update.from), 'update', `phase ${p.name} updates them`);
    } else if (s.scale) need(typeOfPhase(w, s.scale.from), 'patch', `phase ${p.name} scales them`, 'scale');
    else if (s.delete) need(typeOfPhase(w, s.delete.from), 'delete', `phase ${p.name} deletes them`);
  }
  return [...verbs.values()].map((e) => ({ apiGroups: [e.group], resources: [e.resource], verbs: [...e.verbs].sort(), why: [...e.whys].join('; ') }));
}

/** The cluster-wide rules a run of this workload needs (namespaces are made during the run, so a Role cannot hold them). */
export function clusterRules(w: ResolvedWorkload, collect: boolean): Rule[] {
  return [...ALWAYS, ...workloadRules(w), ...(collect ? COLLECTOR : [])];
}

/** A Rule as Kubernetes writes it (without the why). */
export function policyRule(r: Rule): Record<string, unknown> {
  const { why: _why, ...rest } = r;
  return rest;
}
