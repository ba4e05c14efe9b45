import { parseQuantity } from '../../quantity.js';
import type { StatusCause } from '../status.js';
import { isRecord } from '../types.js';
import { dnsLabelError, duplicate, invalidValue, notSupported, required } from './validation.js';

type Json = Record<string, unknown>;

function containersOf(spec: Json, field: 'containers' | 'initContainers'): Json[] {
  const list = spec[field];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** Applies the apiserver's defaults to a PodSpec (also used for pod templates). */
export function defaultPodSpec(spec: Json): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const field of ['containers', 'initContainers'] as const) {
    for (const c of containersOf(spec, field)) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      if (c.imagePullPolicy === undefined) {
        const image = typeof c.image === 'string' ? c.image : '';
        const tagged = /:[^/]+$/.test(image) || image.includes('@');
        c.imagePullPolicy = !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
      }
      if (Array.isArray(c.ports)) for (const p of c.ports) if (isRecord(p)) p.protocol ??= 'TCP';
      const resources = isRecord(c.resources) ? c.resources : {};
      // Requests default to limits where only limits are given.
      if (isRecord(resources.limits)) {
        const requests = isRecord(resources.requests) ? resources.requests : {};
        for (const [k, v] of Object.entries(resources.limits)) requests[k] ??= v;
        resources.requests = requests;
      }
      c.resources = resources;
    }
  }
}

/** Validates a PodSpec; `path` is the field path prefix (`spec` or `spec.template.spec`). */
export function validatePodSpec(spec: unknown, path: string): StatusCause[] {
  if (!isRecord(spec)) return [required(path)];
  const causes: StatusCause[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(required(`${path}.containers`));
    return causes;
  }
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    if (!isRecord(c)) {
      causes.push(invalidValue(p, c, 'must be an object'));
      return;
    }
    if (typeof c.name !== 'string' || c.name === '') causes.push(required(`${p}.name`));
    else {
      const err = dnsLabelError(c.name);
      if (err) causes.push(invalidValue(`${p}.name`, c.name, err));
      if (names.has(c.name)) causes.push(duplicate(`${p}.name`, c.name));
      names.add(c.name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') causes.push(required(`${p}.image`));
    const res = c.resources;
    if (isRecord(res)) {
      for (const kind of ['requests', 'limits'] as const) {
        const m = res[kind];
        if (!isRecord(m)) continue;
        for (const [k, v] of Object.entries(m)) {
          const q = parseQuantity(v);
          if (q === undefined) {
            causes.push(invalidValue(`${p}.resources.${kind}[${k}]`, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
          } else if (q < 0) {
            causes.push(invalidValue(`${p}.resources.${kind}[${k}]`, v, 'must be greater than or equal to 0'));
          }
        }
      }
    }
  });
  const policy = spec.restartPolicy;
  if (policy !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(policy))) {
    causes.push(notSupported(`${path}.restartPolicy`, policy, ['Always', 'OnFailure', 'Never']));
  }
  return causes;
}

/** The pod's QoS class as the apiserver computes it for status.qosClass. */
export function qosClass(spec: Json): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')];
  let anySet = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const res = isRecord(c.resources) ? c.resources : {};
    const req = isRecord(res.requests) ? res.requests : {};
    const lim = isRecord(res.limits) ? res.limits : {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) anySet = true;
    for (const r of ['cpu', 'memory']) {
      const l = parseQuantity(lim[r]);
      const q = parseQuantity(req[r] ?? lim[r]);
      if (l === undefined || q === undefined || l !== q) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
