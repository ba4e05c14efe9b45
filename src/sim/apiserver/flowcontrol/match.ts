import { createHash } from 'node:crypto';
import type { UserInfo } from '../user-info.js';
import { SERVICE_ACCOUNT_PREFIX } from '../user-info.js';
import type { FlowSchemaDef, NonResourcePolicyRule, ResourcePolicyRule, Subject } from './bootstrap.js';

/** What classification looks at (flowcontrol's RequestDigest). */
export interface RequestDigest {
  user: UserInfo;
  isResource: boolean;
  /** Lowercase request verb: get, list, watch, create, update, patch, delete, deletecollection; or the HTTP method for non-resource paths. */
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  path: string;
}

function matchesSubject(u: UserInfo, s: Subject): boolean {
  switch (s.kind) {
    case 'User':
      return !!s.user && (s.user.name === '*' || s.user.name === u.name);
    case 'Group':
      return !!s.group && (s.group.name === '*' || u.groups.includes(s.group.name));
    case 'ServiceAccount': {
      if (!s.serviceAccount || !u.name.startsWith(SERVICE_ACCOUNT_PREFIX)) return false;
      const [ns, name] = u.name.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
      return ns === s.serviceAccount.namespace && (s.serviceAccount.name === '*' || name === s.serviceAccount.name);
    }
  }
}

/** A list matches x if it is just the wildcard or contains x. */
function contains(list: readonly string[] | undefined, x: string, wildcard: string): boolean {
  if (!list) return false;
  return (list.length === 1 && list[0] === wildcard) || list.includes(x);
}

function matchesResourceRule(d: RequestDigest, r: ResourcePolicyRule): boolean {
  if (!contains(r.verbs, d.verb, '*')) return false;
  if (!contains(r.resources, d.subresource ? `${d.resource}/${d.subresource}` : d.resource, '*')) return false;
  if (!contains(r.apiGroups, d.apiGroup, '*')) return false;
  if (d.namespace === '') return r.clusterScope === true;
  return contains(r.namespaces, d.namespace, '*');
}

function matchesNonResourceRule(d: RequestDigest, r: NonResourcePolicyRule): boolean {
  if (!contains(r.verbs, d.verb, '*')) return false;
  for (const url of r.nonResourceURLs) {
    if (url === '*' || url === d.path) return true;
    let prefix = url.endsWith('*') ? url.slice(0, -1) : url;
    if (!prefix.endsWith('/')) prefix += '/';
    if (d.path.startsWith(prefix)) return true;
  }
  return false;
}

export function matchesFlowSchema(d: RequestDigest, fs: FlowSchemaDef): boolean {
  return fs.spec.rules.some(
    (rule) =>
      rule.subjects.some((s) => matchesSubject(d.user, s)) &&
      (d.isResource ? (rule.resourceRules ?? []).some((r) => matchesResourceRule(d, r)) : (rule.nonResourceRules ?? []).some((r) => matchesNonResourceRule(d, r))),
  );
}

/** Schemas in the order they are tried: matchingPrecedence, then name. */
export function byPrecedence(schemas: readonly FlowSchemaDef[]): FlowSchemaDef[] {
  return [...schemas].sort((a, b) => a.spec.matchingPrecedence - b.spec.matchingPrecedence || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The flow within a schema: by user name, by namespace, or one flow. */
export function flowDistinguisher(d: RequestDigest, fs: FlowSchemaDef): string {
  switch (fs.spec.distinguisherMethod?.type) {
    case 'ByUser':
      return d.user.name;
    case 'ByNamespace':
      return d.namespace;
    default:
      return '';
  }
}

/** hashFlowID: the first 8 bytes (little endian) of sha256(schema name, 0, distinguisher). */
export function flowHash(schema: string, distinguisher: string): bigint {
  const sum = createHash('sha256').update(schema).update(Buffer.from([0])).update(distinguisher).digest();
  return sum.readBigUInt64LE(0);
}

/**
 * Shuffle sharding (k8s.io/apiserver pkg/util/shufflesharding): deals a hand of `handSize`
 * distinct queues out of `deckSize` from a flow's hash, so flows rarely share all queues.
 */
export function dealHand(hash: bigint, deckSize: number, handSize: number): number[] {
  const remainders: number[] = [];
  let h = hash;
  for (let i = 0; i < handSize; i++) {
    const n = BigInt(deckSize - i);
    remainders.push(Number(h % n));
    h /= n;
  }
  return remainders.map((r, i) => {
    let card = r;
    for (let j = i; j > 0; j--) if (card >= remainders[j - 1]!) card++;
    return card;
  });
}
