import https from 'node:https';

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

export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
}

/** A small HTTPS client for the fidelity suite: the wire as any client sees it, no retries. */
export class ApiClient {
  readonly #agent: https.Agent;

  constructor(readonly creds: Credentials) {
    this.#agent = new https.Agent({ ca: creds.caPem, cert: creds.certPem, key: creds.keyPem, keepAlive: true, maxSockets: 16 });
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { Accept: 'application/json', ...(this.creds.token ? { Authorization: `Bearer ${this.creds.token}` } : {}), ...extra };
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json', timeoutMs = 60_000): Promise<Answer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.creds.url),
        {
          method,
          agent: this.#agent,
          timeout: timeoutMs,
          headers: this.#headers({ Accept: accept, ...(payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) }) }),
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
    return new WatchStream(this.creds, path, this.#headers({}));
  }

  close(): void {
    this.#agent.destroy();
  }
}

export class WatchStream {
  readonly events: WatchEvent[] = [];
  status = 0;
  ended = false;
  readonly #req: ReturnType<typeof https.request>;
  #waiters: (() => void)[] = [];

  constructor(creds: Credentials, path: string, headers: Record<string, string>) {
    this.#req = https.request(new URL(path, creds.url), { method: 'GET', agent: false, ca: creds.caPem, cert: creds.certPem, key: creds.keyPem, headers }, (res) => {
      this.status = res.statusCode ?? 0;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) this.events.push(JSON.parse(line) as WatchEvent);
        }
        this.#notify();
      });
      const end = (): void => {
        if (buf.trim()) {
          try {
            this.events.push(JSON.parse(buf) as WatchEvent);
          } catch {
            // a non-watch body (an error Status is parsed above when it is one line)
          }
        }
        this.ended = true;
        this.#notify();
      };
      res.on('end', end);
      res.on('error', end);
    });
    this.#req.on('error', () => {
      this.ended = true;
      this.#notify();
    });
    this.#req.end();
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until `pred` holds, the stream ends, or the timeout passes; returns whether it held. */
  async until(pred: (events: WatchEvent[]) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      const left = deadline - Date.now();
      if (this.ended || left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  stop(): void {
    this.#req.destroy();
  }
}
