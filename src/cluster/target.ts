import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeconfigError, parseKubeconfig, type ResolvedKubeconfig, resolveKubeconfig, staticHeaders } from './kubeconfig-file.js';

/** How to reach a cluster: the server URL, TLS material and auth header. No secret leaves here except into requests. */
export interface Connection {
  server: URL;
  /** kubeconfig context name, or 'in-cluster'. */
  context: string;
  kubeconfigPath?: string;
  tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** Refreshes request headers (a token from an exec plugin may expire). */
  headers(): Promise<Record<string, string>>;
}

export class TargetError extends Error {}

export type TargetChoice =
  | { kind: 'kubeconfig'; file: string; context?: string; source: 'flag' | 'KUBECONFIG' | 'home' }
  | { kind: 'in-cluster' }
  | { kind: 'none' };

/**
 * Chooses the cluster as kubectl does: --kubeconfig, else KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account when run as a pod; 'none' when
 * there is no configuration at all (kbench then runs on its embedded sim).
 */
export function chooseTarget(flags: { kubeconfig?: string; context?: string }, env: NodeJS.ProcessEnv = process.env): TargetChoice {
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) throw new TargetError(`--kubeconfig ${flags.kubeconfig}: no such file`);
    return { kind: 'kubeconfig', file: path.resolve(flags.kubeconfig), context: flags.context, source: 'flag' };
  }
  if (env.KUBECONFIG) {
    const first = env.KUBECONFIG.split(path.delimiter).find(Boolean);
    if (first && !existsSync(first)) throw new TargetError(`KUBECONFIG=${env.KUBECONFIG}: ${first} does not exist`);
    if (first) return { kind: 'kubeconfig', file: path.resolve(first), context: flags.context, source: 'KUBECONFIG' };
  }
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  if (existsSync(home)) return { kind: 'kubeconfig', file: home, context: flags.context, source: 'home' };
  if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) return { kind: 'in-cluster' };
  if (flags.context) throw new TargetError(`--context ${flags.context} given, but no kubeconfig was found (--kubeconfig, KUBECONFIG, ~/.kube/config)`);
  return { kind: 'none' };
}

/**
 * A parser's message without the lines of the file it quotes: a kubeconfig holds tokens
 * and keys, and this message goes to stderr (and CI logs). Only the first line is kept,
 * with any text after the position cut ("bad indentation (11:3)").
 */
export function withoutContent(message: string): string {
  const first = message.split('\n')[0]!.trim();
  // js-yaml says "bad indentation (11:3)", the yaml package "Missing closing quote at line 5, column 1:".
  const pos = /\((\d+):(\d+)\)/.exec(first) ?? /at line (\d+), column (\d+)/.exec(first);
  const kind = first.replace(/\s*\(\d+:\d+\).*$/, '').replace(/\s*at line \d+, column \d+.*$/, '').slice(0, 120);
  return pos ? `not valid YAML at line ${pos[1]}, column ${pos[2]} (${kind}; the line is not shown: a kubeconfig holds secrets)` : `${kind} (the file's content is not shown: a kubeconfig holds secrets)`;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster configuration as client-go's rest.InClusterConfig builds it. */
function inCluster(env: NodeJS.ProcessEnv): ResolvedKubeconfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new TargetError('cannot load the in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
  let ca: Buffer | undefined;
  try {
    ca = readFileSync(path.join(SERVICE_ACCOUNT, 'ca.crt'));
  } catch {
    // client-go goes on without the CA file too, and then the system roots apply.
  }
  return {
    context: 'in-cluster',
    cluster: { name: 'in-cluster', server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca, insecureSkipTlsVerify: false },
    user: { name: 'in-cluster', tokenFile: path.join(SERVICE_ACCOUNT, 'token') },
  };
}

/** Loads the chosen kubeconfig (or in-cluster config) into a Connection. */
export async function connect(choice: Exclude<TargetChoice, { kind: 'none' }>, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  let resolved: ResolvedKubeconfig;
  if (choice.kind === 'in-cluster') resolved = inCluster(env);
  else {
    let doc: ReturnType<typeof parseKubeconfig>;
    try {
      doc = parseKubeconfig(readFileSync(choice.file, 'utf8'), choice.file);
    } catch (e) {
      throw new TargetError(e instanceof KubeconfigError ? e.message : `cannot load ${choice.file}: ${withoutContent((e as Error).message)}`);
    }
    try {
      resolved = resolveKubeconfig(doc, choice.file, choice.context);
    } catch (e) {
      if (e instanceof KubeconfigError) throw new TargetError(e.message);
      throw e;
    }
  }
  const { cluster, user } = resolved;
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new TargetError(`cluster "${cluster.name}" has an invalid server URL: ${cluster.server}`);
  }
  const tls: Connection['tls'] = {};
  if (cluster.ca) tls.ca = cluster.ca;
  if (user.cert) tls.cert = user.cert;
  if (user.key) tls.key = user.key;
  if (cluster.insecureSkipTlsVerify) tls.rejectUnauthorized = false;
  if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
  let headers = async (): Promise<Record<string, string>> => staticHeaders(user);
  if (user.plugin && choice.kind === 'kubeconfig') {
    const { pluginCredentials } = await import('./kubeconfig-plugin.js');
    let plugin: Awaited<ReturnType<typeof pluginCredentials>>;
    try {
      plugin = await pluginCredentials(choice.file, resolved.context);
    } catch (e) {
      throw new TargetError(`user "${user.name}" in ${choice.file}: its ${user.plugin} plugin gave no credentials: ${withoutContent((e as Error).message)}`);
    }
    Object.assign(tls, plugin.tls);
    headers = plugin.headers;
  }
  try {
    await headers();
  } catch (e) {
    throw new TargetError(`user "${user.name}": cannot read its credentials: ${(e as Error).message}`);
  }
  return {
    server,
    context: resolved.context,
    kubeconfigPath: choice.kind === 'kubeconfig' ? choice.file : undefined,
    tls,
    headers,
  };
}

/** The server URL without credentials or query, for the manifest. */
export function publicServer(c: Connection): string {
  return `${c.server.protocol}//${c.server.host}${c.server.pathname === '/' ? '' : c.server.pathname}`;
}

export function readTokenFile(file: string): string {
  return readFileSync(file, 'utf8').trim();
}
