import net from 'node:net';

/**
 * A TCP proxy that cuts every connection on a schedule and refuses new ones for a while
 * after each cut: watches break and, with a short server history, resume from a
 * resourceVersion that is already gone (410). TLS passes through untouched.
 */
export class ChaosProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #timer: NodeJS.Timeout | undefined;
  #blackoutUntil = 0;
  cuts = 0;

  constructor(
    private readonly targetPort: number,
    private readonly everyMs: number,
    private readonly blackoutMs: number,
  ) {
    this.#server = net.createServer((client) => {
      if (Date.now() < this.#blackoutUntil) {
        client.destroy();
        return;
      }
      const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  /** Listens on a free port; connections pass untouched until start(). */
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.#server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Starts cutting every `everyMs`. */
  start(): void {
    this.#timer ??= setInterval(() => this.cut(), this.everyMs);
  }

  cut(): void {
    this.cuts++;
    this.#blackoutUntil = Date.now() + this.blackoutMs;
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
