import { parentPort, workerData } from 'node:worker_threads';
import { Random } from '../../util/random.js';
import { LocalApiError } from '../local-client.js';
import { MetricsServer } from '../metrics-server.js';
import { type SchedulerApi, SchedulerCore } from './scheduler-core.js';
import { SchedulerLoop } from './scheduler-loop.js';
import { Batcher } from '../threads.js';
import { type FromScheduler, podRef, type SchedulerThreadData, type ToScheduler } from './scheduler-protocol.js';

/**
 * The scheduling half of the simulated kube-scheduler in a thread of its own
 * (scheduler-thread.ts starts it): the queue, the node cache and the filter and score cycles
 * use this thread's core. Pods and nodes arrive as messages from the main thread's informers;
 * bindings, Events and status writes go back as messages, which the main thread sends
 * through the scheduler's rate-limited clients. Its /metrics is served from here.
 */
const data = workerData as SchedulerThreadData;
const port = parentPort!;
const out = new Batcher<FromScheduler>((batch) => port.postMessage(batch));
const post = (m: FromScheduler): void => out.post(m);
let stopping = false;
const log = (line: string): void => {
  if (!stopping) post({ t: 'log', line });
};

let nextBind = 0;
const binds = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
const api: SchedulerApi = {
  bind: (pod, node) =>
    new Promise((resolve, reject) => {
      const id = nextBind++;
      binds.set(id, { resolve, reject });
      post({ t: 'bind', id, pod: podRef(pod), node });
    }),
  scheduled: async (pod, node, now) => post({ t: 'scheduled', pod: podRef(pod), node, now }),
  unschedulable: async (pod, message, now) => post({ t: 'unschedulable', pod: podRef(pod), message, now }),
};
const core = new SchedulerCore(api, { random: new Random(data.seed), now: Date.now, log });
const loop = new SchedulerLoop(core);
const metrics = new MetricsServer(core.metrics.registry, data.certs, data.token);

function receive(m: ToScheduler): void {
  switch (m.t) {
    case 'node':
      core.nodeChanged(m.node);
      break;
    case 'nodeDeleted':
      core.nodeDeleted(m.name);
      break;
    case 'pod':
      core.podChanged(m.pod, m.old);
      break;
    case 'podDeleted':
      core.podDeleted(m.key);
      break;
    case 'bound': {
      const b = binds.get(m.id);
      binds.delete(m.id);
      if (!m.failure) b?.resolve();
      else b?.reject(m.failure.code > 0 ? new LocalApiError(m.failure.code, m.failure.reason, m.failure.message) : new Error(m.failure.message));
      break;
    }
    case 'metrics':
      post({ t: 'metrics', id: m.id, contentType: core.metrics.registry.contentType, body: core.metrics.registry.text() });
      break;
    case 'stop':
      stopping = true;
      // Bindings still out are answered no more: the main thread's clients are closing.
      void Promise.allSettled([loop.stop(), metrics.close()]).then(() => {
        out.flush();
        process.exit(0);
      });
      break;
  }
}

port.on('message', (batch: ToScheduler[]) => {
  for (const m of batch) receive(m);
});

async function start(): Promise<void> {
  loop.start();
  post({ t: 'ready', metricsUrl: await metrics.listen(data.host, data.port) });
}

start().catch((e: unknown) => post({ t: 'failed', message: e instanceof Error ? e.message : String(e) }));
