import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

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
  const pos = /\((\d+):(\d+)\)/.exec(first);
  const kind = first.replace(/\s*\(\d+:\d+\).*$/, '').slice(0, 120);
  return pos ? `not valid YAML at line ${pos[1]}, column ${pos[2]} (${kind}; the line is not shown: a kubeconfig holds secrets)` : `${kind} (the file's content is not shown: a kubeconfig holds secrets)`;
}

/** Loads the chosen kubeconfig (or in-cluster config) into a Connection. */
export async function connect(choice: Exclude<TargetChoice, { kind: 'none' }>): Promise<Connection> {
  const kc = new KubeConfig();
  try {
    if (choice.kind === 'in-cluster') kc.loadFromCluster();
    else kc.loadFromFile(choice.file);
  } catch (e) {
    throw new TargetError(`cannot load ${choice.kind === 'in-cluster' ? 'the in-cluster configuration' : choice.file}: ${withoutContent((e as Error).message)}`);
  }
  if (choice.kind === 'kubeconfig' && choice.context) {
    if (!kc.getContextObject(choice.context)) {
      throw new TargetError(`context "${choice.context}" is not in ${choice.file} (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(choice.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new TargetError(`${choice.kind === 'kubeconfig' ? choice.file : 'the in-cluster configuration'} has no current cluster (set current-context or pass --context)`);
  }
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new TargetError(`cluster "${cluster.name}" has an invalid server URL: ${cluster.server}`);
  }
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const tls: Connection['tls'] = {};
  if (opts.ca) tls.ca = opts.ca as string | Buffer;
  if (opts.cert) tls.cert = opts.cert as string | Buffer;
  if (opts.key) tls.key = opts.key as string | Buffer;
  if (cluster.skipTLSVerify) tls.rejectUnauthorized = false;
  if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
  return {
    server,
    context: choice.kind === 'in-cluster' ? 'in-cluster' : kc.getCurrentContext(),
    kubeconfigPath: choice.kind === 'kubeconfig' ? choice.file : undefined,
    tls,
    headers: async () => {
      const fresh: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(fresh);
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(fresh.headers ?? {})) if (typeof v === 'string') h[k.toLowerCase()] = v;
      if (fresh.auth) h.authorization = `Basic ${Buffer.from(fresh.auth).toString('base64')}`;
      return h;
    },
  };
}

/** The server URL without credentials or query, for the manifest. */
export function publicServer(c: Connection): string {
  return `${c.server.protocol}//${c.server.host}${c.server.pathname === '/' ? '' : c.server.pathname}`;
}

export function readTokenFile(file: string): string {
  return readFileSync(file, 'utf8').trim();
}
