import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './metrics-registry.js';
import type { ServingCerts } from './tls.js';

/**
 * A component's own HTTPS metrics endpoint (as kube-scheduler serves :10259/metrics):
 * `/metrics` needs the bearer token, `/healthz` does not.
 */
export class MetricsServer {
  readonly #server: https.Server;

  constructor(
    private readonly registry: MetricsRegistry,
    certs: ServingCerts,
    token: string,
  ) {
    const expected = `Bearer ${token}`;
    this.#server = https.createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz' || path === '/livez' || path === '/readyz') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
        return;
      }
      // The scheme is case-insensitive (RFC 7235).
      const auth = req.headers.authorization ?? '';
      if (auth !== expected && !(auth.slice(0, 7).toLowerCase() === 'bearer ' && auth.slice(7) === token)) {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(this.registry.text());
    });
  }

  /** Listens on `port` (0: any free one); returns the /metrics URL. */
  async listen(host: string, port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => resolve());
    });
    const addr = this.#server.address() as AddressInfo;
    return `https://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
