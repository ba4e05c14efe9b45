import type https from 'node:https';

/**
 * Credentials from an exec or auth-provider plugin, through @kubernetes/client-node (it
 * runs the plugin, caches its credential until it expires and refreshes auth-provider
 * tokens). Imported only for such users: the library is costly to load.
 */
export interface PluginCredentials {
  tls: { cert?: string | Buffer; key?: string | Buffer };
  headers(): Promise<Record<string, string>>;
}

export async function pluginCredentials(file: string, context: string): Promise<PluginCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  kc.setCurrentContext(context);
  const headers = async (): Promise<Record<string, string>> => {
    const fresh: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(fresh);
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(fresh.headers ?? {})) if (typeof v === 'string') h[k.toLowerCase()] = v;
    if (fresh.auth) h.authorization = `Basic ${Buffer.from(fresh.auth).toString('base64')}`;
    return h;
  };
  // An exec plugin may answer with a client certificate instead of a token.
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const tls: PluginCredentials['tls'] = {};
  if (opts.cert) tls.cert = opts.cert as string | Buffer;
  if (opts.key) tls.key = opts.key as string | Buffer;
  return { tls, headers };
}
