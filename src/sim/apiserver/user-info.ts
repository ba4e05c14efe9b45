/**
 * Who a request comes from (authentication's user.Info): the names and groups API Priority
 * and Fairness classifies by. The sim's own components present the identities the real ones
 * use, so the default FlowSchemas put their traffic where a real cluster's goes.
 */
export interface UserInfo {
  name: string;
  groups: readonly string[];
}

export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const NODES_GROUP = 'system:nodes';
export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** A request without credentials (the public health and version paths). */
export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: [ALL_UNAUTHENTICATED] };

/**
 * The user of the kubeconfig the sim writes (the harness, kubectl): an ordinary
 * authenticated user, not system:masters, so its requests are limited like any workload's
 * (FlowSchema global-default) rather than exempt.
 */
export const SIM_ADMIN: UserInfo = { name: 'kbench-sim-admin', groups: [ALL_AUTHENTICATED] };

/** The apiserver's own loopback client (bootstrap objects): system:masters, exempt. */
export const APISERVER_LOOPBACK: UserInfo = { name: 'system:apiserver', groups: [SYSTEM_PRIVILEGED_GROUP, ALL_AUTHENTICATED] };

export const KUBE_SCHEDULER: UserInfo = { name: 'system:kube-scheduler', groups: [ALL_AUTHENTICATED] };
export const KUBE_CONTROLLER_MANAGER: UserInfo = { name: 'system:kube-controller-manager', groups: [ALL_AUTHENTICATED] };

/** A kubelet's node credentials. */
export function nodeUser(node: string): UserInfo {
  return { name: `system:node:${node}`, groups: [NODES_GROUP, ALL_AUTHENTICATED] };
}

/** A service account's token (kube-controller-manager's controllers use one each). */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return { name: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`, groups: serviceAccountGroups(namespace) };
}

function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, ALL_AUTHENTICATED];
}

/**
 * The user an Impersonate-User / Impersonate-Group request acts as (the sim's one token may
 * impersonate anyone), as the real impersonation filter builds it: a service account name
 * brings its groups when none are given; system:authenticated is added unless a group says
 * otherwise (system:unauthenticated for system:anonymous). Undefined when not impersonating;
 * an Error when groups come without a user.
 */
export function impersonatedUser(userHeader: string | undefined, groupHeaders: readonly string[]): UserInfo | Error | undefined {
  if (!userHeader) return groupHeaders.length > 0 ? new Error(`requested ${JSON.stringify(groupHeaders)} without impersonating a user`) : undefined;
  let groups = [...groupHeaders];
  if (groups.length === 0 && userHeader.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [namespace] = userHeader.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
    groups = serviceAccountGroups(namespace ?? '').filter((g) => g !== ALL_AUTHENTICATED);
  }
  if (userHeader === ANONYMOUS.name) {
    if (!groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_UNAUTHENTICATED);
  } else if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED)) {
    groups.push(ALL_AUTHENTICATED);
  }
  return { name: userHeader, groups };
}
