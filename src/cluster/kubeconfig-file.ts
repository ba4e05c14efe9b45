import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * kbench's own kubeconfig reader, for the fields client-go's clientcmd reads from a static
 * file. @kubernetes/client-node costs about 1 CPU-second and 70 MB to import (its
 * KubeConfig pulls in the whole generated API client), more than a density run's own work,
 * so it is loaded only for users whose credentials come from an exec or auth-provider
 * plugin (kubeconfig-plugin.ts).
 */

export class KubeconfigError extends Error {}

export interface ClusterEntry {
  name: string;
  server: string;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

export interface UserEntry {
  name: string;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  /** `as`: the user to act as (Impersonate-User). */
  impersonate?: string;
  /** exec or auth-provider: credentials only a plugin can produce. */
  plugin?: 'exec' | 'auth-provider';
}

export interface ResolvedKubeconfig {
  context: string;
  cluster: ClusterEntry;
  user: UserEntry;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The named entries of one list (clusters, users, contexts), each with its inner object. */
function entries(doc: Obj, list: string, inner: string, where: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const items = doc[list];
  if (items === undefined || items === null) return out;
  if (!Array.isArray(items)) throw new KubeconfigError(`${where}: "${list}" is not a list`);
  items.forEach((item, i) => {
    if (!isObj(item) || typeof item.name !== 'string') throw new KubeconfigError(`${where}: ${list}[${i}] has no name`);
    const body = item[inner];
    if (body !== undefined && body !== null && !isObj(body)) throw new KubeconfigError(`${where}: ${list}[${i}] ("${item.name}") has a "${inner}" that is not a mapping`);
    out.set(item.name, isObj(body) ? body : {});
  });
  return out;
}

function str(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KubeconfigError(`${where}: "${key}" is not a string`);
  return v;
}

/** A file named in the kubeconfig, relative to the kubeconfig's folder as clientcmd resolves it. */
function readRelative(base: string, file: string, what: string, where: string): Buffer {
  const full = path.resolve(base, file);
  try {
    return readFileSync(full);
  } catch (e) {
    throw new KubeconfigError(`${where}: cannot read ${what} ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function dataOrFile(o: Obj, key: string, base: string, what: string, where: string): Buffer | undefined {
  const data = str(o, `${key}-data`, where);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const file = str(o, key, where);
  return file === undefined ? undefined : readRelative(base, file, what, where);
}

/** Parses a kubeconfig's text; the YAML parser's message is returned as is (the caller strips quoted content). */
export function parseKubeconfig(text: string, file: string): Obj {
  const doc: unknown = parse(text);
  if (doc === null || doc === undefined) return {};
  if (!isObj(doc)) throw new KubeconfigError(`${file} is not a kubeconfig (not a mapping)`);
  return doc;
}

export function contextNames(doc: Obj, file: string): string[] {
  return [...entries(doc, 'contexts', 'context', file).keys()];
}

/** The cluster and user of one context (the current one unless named), resolved to values. */
export function resolveKubeconfig(doc: Obj, file: string, contextName?: string): ResolvedKubeconfig {
  const base = path.dirname(file);
  const contexts = entries(doc, 'contexts', 'context', file);
  const name = contextName ?? str(doc, 'current-context', file);
  if (!name) throw new KubeconfigError(`${file} has no current cluster (set current-context or pass --context)`);
  const ctx = contexts.get(name);
  if (!ctx) {
    throw new KubeconfigError(contextName ? `context "${name}" is not in ${file} (it has: ${[...contexts.keys()].join(', ') || 'none'})` : `${file}: current-context "${name}" is not one of its contexts`);
  }
  const where = `${file}, context "${name}"`;
  const clusterName = str(ctx, 'cluster', where);
  const c = clusterName === undefined ? undefined : entries(doc, 'clusters', 'cluster', file).get(clusterName);
  if (!clusterName || !c) throw new KubeconfigError(`${file} has no current cluster (context "${name}" names ${clusterName ? `cluster "${clusterName}", which is not in the file` : 'no cluster'})`);
  const cw = `${file}, cluster "${clusterName}"`;
  const server = str(c, 'server', cw);
  if (!server) throw new KubeconfigError(`${cw} has no server`);
  if (str(c, 'proxy-url', cw)) throw new KubeconfigError(`${cw} sets proxy-url, which kbench does not support: it connects to the server directly`);
  const cluster: ClusterEntry = {
    name: clusterName,
    server,
    ca: dataOrFile(c, 'certificate-authority', base, 'the certificate authority', cw),
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    tlsServerName: str(c, 'tls-server-name', cw),
  };
  const userName = str(ctx, 'user', where);
  const users = entries(doc, 'users', 'user', file);
  // A context without a user (or naming one not in the file) is anonymous, as in clientcmd.
  const u = (userName && users.get(userName)) || {};
  const uw = `${file}, user "${userName ?? ''}"`;
  if (u['as-groups'] !== undefined || u['as-uid'] !== undefined || u['as-user-extra'] !== undefined) {
    throw new KubeconfigError(`${uw} sets as-groups, as-uid or as-user-extra, which kbench does not support (only "as")`);
  }
  const tokenFile = str(u, 'tokenFile', uw);
  const user: UserEntry = {
    name: userName ?? '',
    cert: dataOrFile(u, 'client-certificate', base, 'the client certificate', uw),
    key: dataOrFile(u, 'client-key', base, 'the client key', uw),
    token: str(u, 'token', uw),
    tokenFile: tokenFile === undefined ? undefined : path.resolve(base, tokenFile),
    username: str(u, 'username', uw),
    password: str(u, 'password', uw),
    impersonate: str(u, 'as', uw),
    plugin: isObj(u.exec) ? 'exec' : isObj(u['auth-provider']) ? 'auth-provider' : undefined,
  };
  if (Boolean(user.cert) !== Boolean(user.key)) throw new KubeconfigError(`${uw} has a client ${user.cert ? 'certificate without a key' : 'key without a certificate'}`);
  return { context: name, cluster, user };
}

/** The request headers of a user with static credentials (a token file is read afresh each time: bound tokens rotate). */
export function staticHeaders(user: UserEntry): Record<string, string> {
  const h: Record<string, string> = {};
  const token = user.tokenFile && !user.token ? readFileSync(user.tokenFile, 'utf8').trim() : user.token;
  if (token) h.authorization = `Bearer ${token}`;
  else if (user.username !== undefined && user.password !== undefined) h.authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  if (user.impersonate) h['impersonate-user'] = user.impersonate;
  return h;
}
