import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ApiServer } from './apiserver/apiserver.js';
import type { StreamSink } from './apiserver/api-types.js';
import { ApiError, errors } from './apiserver/status.js';
import type { ServingCerts } from './tls.js';
import { ANONYMOUS, impersonatedUser, SIM_ADMIN, type UserInfo } from './apiserver/user-info.js';

/** Largest request body accepted, as the real apiserver's 3 MiB limit. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** A watch with more than this queued is dropped as unresponsive, as the real cacher does. */
const MAX_WATCH_BUFFER_BYTES = 64 * 1024 * 1024;
/** Paths anonymous clients may read, as system:public-info-viewer allows. */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

export interface HttpServerOptions {
  host: string;
  port: number;
  token: string;
  certs: ServingCerts;
}

function sendStatus(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function streamSink(res: ServerResponse): StreamSink {
  return {
    start(headers) {
      res.writeHead(200, headers);
      res.flushHeaders();
    },
    write(chunk) {
      if (res.destroyed || res.writableEnded) return false;
      res.write(chunk);
      return res.writableLength <= MAX_WATCH_BUFFER_BYTES;
    },
    end() {
      if (!res.writableEnded) res.end();
    },
    onClose(cb) {
      res.once('close', cb);
    },
  };
}

/** The HTTPS front of the simulated apiserver: TLS, bearer-token authentication, bodies. */
export class SimHttpServer {
  readonly #server: https.Server;
  readonly #expectedAuth: string;
  #url = '';

  constructor(
    private readonly api: ApiServer,
    private readonly opts: HttpServerOptions,
  ) {
    this.#expectedAuth = `Bearer ${opts.token}`;
    this.#server = https.createServer({ key: opts.certs.keyPem, cert: opts.certs.certPem }, (req, res) => {
      void this.#serve(req, res);
    });
    // Go clients keep idle connections for 90 s; outlive that so they are not reset under them.
    this.#server.keepAliveTimeout = 120_000;
    this.#server.headersTimeout = 125_000;
    this.#server.requestTimeout = 0;
  }

  get url(): string {
    return this.#url;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const addr = this.#server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#url = `https://${host}:${addr.port}`;
    return this.#url;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Split by hand: a URL object per request costs more than the rest of routing.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = decodePath(q < 0 ? raw : raw.slice(0, q));
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    // The scheme is case-insensitive (RFC 7235): the real apiserver takes `bearer` too.
    const auth = req.headers.authorization ?? '';
    const authenticated = auth === this.#expectedAuth || (auth.length === this.#expectedAuth.length && auth.slice(0, 7).toLowerCase() === 'bearer ' && auth.slice(7) === this.#expectedAuth.slice(7));
    if (!PUBLIC_PATHS.has(pathname) && !authenticated) {
      req.resume();
      const err = errors.unauthorized();
      sendStatus(res, 401, JSON.stringify(err.toStatus()), { 'Content-Type': 'application/json' });
      return;
    }
    // The token's user, or whom it impersonates (the one token may act as anyone).
    let user: UserInfo = ANONYMOUS;
    if (authenticated) {
      // headersDistinct builds an object of every header: only when impersonating.
      const impersonating = req.headers['impersonate-user'] !== undefined || req.headers['impersonate-group'] !== undefined;
      const as = impersonating ? impersonatedUser(req.headersDistinct['impersonate-user']?.[0], req.headersDistinct['impersonate-group'] ?? []) : undefined;
      if (as instanceof Error) {
        req.resume();
        sendStatus(res, 500, JSON.stringify(errors.internal(as.message).toStatus()), { 'Content-Type': 'application/json' });
        return;
      }
      user = as ?? SIM_ADMIN;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const result = await this.api.handle(
        {
          method: req.method ?? 'GET',
          path: pathname,
          query,
          contentType: req.headers['content-type'],
          accept: req.headers.accept,
          userAgent: req.headers['user-agent'],
          user,
          readBody: hasBody ? () => readBody(req) : undefined,
        },
        () => streamSink(res),
      );
      if (result && !res.headersSent) sendStatus(res, result.status, result.body, result.headers);
    } catch (e) {
      // handle() maps errors to Status responses; reaching here is a bug, never a crash.
      if (!res.headersSent) {
        sendStatus(res, 500, JSON.stringify(errors.internal(String(e)).toStatus()), { 'Content-Type': 'application/json' });
      } else res.destroy();
    }
  }
}

function decodePath(p: string): string {
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Gone while it waited for a seat: nothing more will arrive.
    if (req.destroyed && !req.complete) {
      reject(new ApiError(400, 'BadRequest', 'the client closed the connection before sending the whole body'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new ApiError(413, 'RequestEntityTooLarge', `the request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body: the request ends and gives back its seat.
    req.on('close', () => {
      if (!req.complete) reject(new ApiError(400, 'BadRequest', 'the client closed the connection before sending the whole body'));
    });
  });
}
