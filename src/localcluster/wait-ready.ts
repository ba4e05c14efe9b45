import { Agent, request } from '../util/http-client.js';
import { ComponentFailedError, type ComponentProcess } from './component-process.js';

export interface Probe {
  url: string;
  ca?: string;
  cert?: string;
  key?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls a health endpoint until it answers 200, and fails as soon as the component exits
 * (with its last log lines) or the time is up (with the last answer seen).
 */
export async function waitReady(proc: ComponentProcess, probe: Probe, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const tls: Record<string, string> = {};
  if (probe.ca) tls.ca = probe.ca;
  if (probe.cert) tls.cert = probe.cert;
  if (probe.key) tls.key = probe.key;
  const dispatcher = new Agent({ connect: tls, keepAliveTimeout: 1000 });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  try {
    while (Date.now() < deadline) {
      if (proc.status) throw await proc.failure(`before ${probe.url} was ready`);
      if (signal?.aborted) throw new Error('interrupted');
      try {
        const res = await request(probe.url, { dispatcher, signal: AbortSignal.timeout(5000) });
        const body = await res.body.text();
        if (res.statusCode === 200) return;
        last = `${res.statusCode}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`;
      } catch (e) {
        const err = e as Error & { code?: string; cause?: { code?: string } };
        last = err.cause?.code ?? err.code ?? err.message;
      }
      await Promise.race([sleep(250), proc.exited]);
    }
  } finally {
    await dispatcher.close();
  }
  throw new ComponentFailedError(proc.name, `${proc.name} was not ready within ${Math.round(timeoutMs / 1000)} s (${probe.url}: ${last})`, await proc.lastLogLines(), proc.logFile);
}
