import https from 'node:https';

export interface SimTarget {
  url: string;
  token: string;
  caPem: string;
}

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

/** A minimal HTTPS client for tests: the real wire path, no client library in between. */
export class TestClient {
  readonly agent: https.Agent;
  /**
   * `retry429`: retry 429 answers after Retry-After (up to 10 times), as client-go does;
   * tests of the inflight limit turn it off to see the 429s.
   */
  constructor(
    readonly target: SimTarget,
    readonly retry429 = true,
  ) {
    this.agent = new https.Agent({ ca: target.caPem, keepAlive: true, maxSockets: 64 });
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.#once<T>(method, path, body, headers);
      if (res.status !== 429 || !this.retry429 || attempt >= 9) return res;
      await new Promise((r) => setTimeout(r, Number(res.headers['retry-after'] ?? 1) * 1000));
    }
  }

  #once<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const url = new URL(path, this.target.url);
    const payload =
      body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.target.token}`,
            Accept: 'application/json',
            ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
            ...headers,
          },
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
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, text });
          });
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T = any>(path: string): Promise<Reply<T>> {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body: unknown): Promise<Reply<T>> {
    return this.request<T>('POST', path, body);
  }
  put<T = any>(path: string, body: unknown): Promise<Reply<T>> {
    return this.request<T>('PUT', path, body);
  }
  patch<T = any>(path: string, body: unknown, type = 'application/merge-patch+json'): Promise<Reply<T>> {
    return this.request<T>('PATCH', path, body, { 'Content-Type': type });
  }
  delete<T = any>(path: string, body?: unknown): Promise<Reply<T>> {
    return this.request<T>('DELETE', path, body);
  }

  /** Opens a watch and collects its events until `stop()` or the server ends it. */
  watch(path: string): WatchStream {
    const url = new URL(path, this.target.url);
    url.searchParams.set('watch', 'true');
    return new WatchStream(url, { ca: this.target.caPem, headers: { Authorization: `Bearer ${this.target.token}` } });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface WatchEvent {
  type: string;
  object: any;
}

export class WatchStream {
  readonly events: WatchEvent[] = [];
  status = 0;
  ended = false;
  readonly #req: ReturnType<typeof https.request>;
  readonly #waiters: (() => void)[] = [];
  readonly done: Promise<void>;

  /** `options`: how to reach the server (CA, client certificate or token headers). */
  constructor(url: URL, options: https.RequestOptions) {
    let finish!: () => void;
    this.done = new Promise((r) => (finish = r));
    const end = (): void => {
      this.ended = true;
      this.#notify();
      finish();
    };
    this.#req = https.request(url, { ...options, method: 'GET', agent: false }, (res) => {
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
      res.on('end', () => {
        if (buf.trim()) {
          try {
            this.events.push(JSON.parse(buf) as WatchEvent);
          } catch {
            // a non-watch body (an error Status is parsed above when it is one line)
          }
        }
        end();
      });
      res.on('error', end);
    });
    this.#req.on('error', end);
    this.#req.end();
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until `pred` holds, the stream ends, or the timeout passes; returns whether it held. */
  async waitFor(pred: (events: WatchEvent[]) => boolean, timeoutMs: number): Promise<boolean> {
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

  /** Waits until `pred` holds for the events so far; throws when the stream ends or the timeout passes first. */
  async until(pred: (events: WatchEvent[]) => boolean, timeoutMs = 10_000): Promise<WatchEvent[]> {
    if (await this.waitFor(pred, timeoutMs)) return this.events;
    if (this.ended) throw new Error(`watch ended before the condition held; events: ${JSON.stringify(this.events.map((e) => e.type))}`);
    throw new Error(`timed out; events so far: ${JSON.stringify(this.events.map((e) => [e.type, e.object?.metadata?.name]))}`);
  }

  stop(): void {
    this.#req.destroy();
  }
}
