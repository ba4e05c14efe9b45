import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Pool, request } from '../../src/util/http-client.js';

// src/util/http-client.ts loads undici's parts from their files: they must be the package's.
describe('undici, loaded part by part', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url} ${req.headers['x-probe'] ?? ''}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it("requests without the package's index loaded (the built module, in a process of its own)", async () => {
    // Here the index is loaded (above), and it wires the request API itself: it would hide a wiring that does not.
    const built = path.resolve(__dirname, '../../dist/util/http-client.js');
    const script = `
      const { createRequire } = await import('node:module');
      const { Pool } = await import(${JSON.stringify(built)});
      const pool = new Pool(${JSON.stringify(origin)});
      const res = await pool.request({ method: 'GET', path: '/lean' });
      const body = await res.body.text();
      await pool.close();
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({ body, index: cache.some((f) => f.endsWith('/undici/index.js')), pool: cache.some((f) => f.endsWith('/undici/lib/dispatcher/pool.js')) }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ body: 'GET /lean ', index: false, pool: true });
  });

  it("are the package's own Pool and Agent", () => {
    expect(Pool).toBe(undici.Pool);
    expect(Agent).toBe(undici.Agent);
  });

  it('a Pool requests, and request() goes through an Agent with the path, query and headers', async () => {
    const pool = new Pool(origin, { connections: 1 });
    const agent = new Agent();
    try {
      const a = await pool.request({ method: 'GET', path: '/api/v1/pods?limit=1' });
      expect(a.statusCode).toBe(200);
      expect(await a.body.text()).toBe('GET /api/v1/pods?limit=1 ');
      const b = await request(`${origin}/metrics?x=1`, { dispatcher: agent, headers: { 'x-probe': 'yes' } });
      expect(await b.body.text()).toBe('GET /metrics?x=1 yes');
      await expect(request('not a url', { dispatcher: agent })).rejects.toThrow();
    } finally {
      await pool.close();
      await agent.close();
    }
  });
});
