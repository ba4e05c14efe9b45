import https from 'node:https';
import { WatchStream } from '../helpers/sim-client.js';

/** How a target is reached: the sim with its bearer token, the real cluster with a client certificate. */
export interface Credentials {
  url: string;
  caPem: string;
  token?: string;
  certPem?: string;
  keyPem?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

/** A small HTTPS client for the fidelity suite: the wire as any client sees it, no retries. */
export class ApiClient {
  readonly #agent: https.Agent;

  /** `maxSockets`: requests in flight at once (an overload test needs hundreds). */
  constructor(
    readonly creds: Credentials,
    maxSockets = 16,
  ) {
    this.#agent = new https.Agent({ ca: creds.caPem, cert: creds.certPem, key: creds.keyPem, keepAlive: true, maxSockets });
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { Accept: 'application/json', ...(this.creds.token ? { Authorization: `Bearer ${this.creds.token}` } : {}), ...extra };
  }

  /** `headers`: more request headers (Impersonate-User, ...). */
  request(method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json', timeoutMs = 60_000, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.creds.url),
        {
          method,
          agent: this.#agent,
          timeout: timeoutMs,
          headers: this.#headers({ Accept: accept, ...headers, ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) }) }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON (metrics, plain-text errors): keep the text
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A plain GET of another endpoint (scheduler, etcd metrics) with this target's CA and an optional token. */
  static async fetchText(url: string, caPem: string | undefined, token: string | undefined): Promise<Answer> {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : await import('node:http');
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method: 'GET', ...(u.protocol === 'https:' ? { ca: caPem } : {}), headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, text });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Opens a watch; events arrive in `events` until `stop()` or the server ends it. */
  watch(path: string): WatchStream {
    return new WatchStream(new URL(path, this.creds.url), { ca: this.creds.caPem, cert: this.creds.certPem, key: this.creds.keyPem, headers: this.#headers({}) });
  }

  close(): void {
    this.#agent.destroy();
  }
}
