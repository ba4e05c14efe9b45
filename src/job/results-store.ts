import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeClient } from '../cluster/kube-client.js';
import { RUN_LABEL, SHARD_LABEL } from '../load/labels.js';

/**
 * A shard's result set kept in the cluster, so that `kbench job results` can fetch it
 * with no shared filesystem: the folder as one gzipped bundle, cut into ConfigMaps of
 * PART_BYTES (a ConfigMap holds at most 1 MiB), then an index ConfigMap naming the parts
 * and the bundle's sha256, written last so that a half-done upload has no index. Every
 * upload is one attempt with an id of its own: a pod the Job restarts never overwrites
 * what an earlier pod of the same shard uploaded.
 */

const PART_BYTES = 512 * 1024;
const RESULT_LABEL = 'kbench.io/result';
const ATTEMPT_LABEL = 'kbench.io/attempt';
/** Derived files the merge or `kbench report` rebuild: not worth the cluster's storage. */
const SKIP = new Set(['report.html']);

export interface UploadIndex {
  runId: string;
  shard: number;
  attempt: string;
  holder: string;
  parts: number;
  bytes: number;
  sha256: string;
  files: number;
  /** The manifest's status when it was uploaded. */
  status: string;
  uploadedAt: string;
}

function cmPath(ns: string, name = ''): string {
  return `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
}

export function resultName(runId: string, shard: number, attempt: string, part?: number): string {
  return `kbench-run-${runId}-result-${shard}-${attempt}${part === undefined ? '' : `-${part}`}`;
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, name)));
    else if (!SKIP.has(name) && !name.endsWith('.tmp')) out.push(name);
  }
  return out.sort();
}

async function create(client: KubeClient, ns: string, body: Record<string, unknown>): Promise<void> {
  const res = await client.call('POST', cmPath(ns), { body });
  if (res.status < 200 || res.status >= 300) throw new Error(`cannot store ${(body.metadata as { name: string }).name} in namespace ${ns}: ${res.status} ${res.body.slice(0, 300)}`);
}

/** Uploads a shard's result folder; returns its index. */
export async function uploadResults(client: KubeClient, o: { namespace: string; runId: string; shard: number; holder: string; dir: string }): Promise<UploadIndex> {
  const files: Record<string, string> = {};
  for (const name of await walk(o.dir)) files[name] = (await readFile(path.join(o.dir, name))).toString('base64');
  const bundle = gzipSync(JSON.stringify({ files }));
  const manifest = files['manifest.json'] ? (JSON.parse(Buffer.from(files['manifest.json'], 'base64').toString('utf8')) as { status?: string }) : {};
  const attempt = randomBytes(3).toString('hex');
  const labels = { [RUN_LABEL]: o.runId, [SHARD_LABEL]: String(o.shard), [ATTEMPT_LABEL]: attempt };
  const parts = Math.max(1, Math.ceil(bundle.length / PART_BYTES));
  for (let k = 0; k < parts; k++) {
    await create(client, o.namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: resultName(o.runId, o.shard, attempt, k), labels: { ...labels, [RESULT_LABEL]: 'part' } },
      binaryData: { bundle: bundle.subarray(k * PART_BYTES, (k + 1) * PART_BYTES).toString('base64') },
    });
  }
  const index: UploadIndex = {
    runId: o.runId,
    shard: o.shard,
    attempt,
    holder: o.holder,
    parts,
    bytes: bundle.length,
    sha256: createHash('sha256').update(bundle).digest('hex'),
    files: Object.keys(files).length,
    status: manifest.status ?? 'unknown',
    uploadedAt: new Date().toISOString(),
  };
  await create(client, o.namespace, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: resultName(o.runId, o.shard, attempt), labels: { ...labels, [RESULT_LABEL]: 'index' } },
    data: { 'index.json': JSON.stringify(index) },
  });
  return index;
}

interface ConfigMapList {
  items: { metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string>; binaryData?: Record<string, string> }[];
}

export interface StoredResult {
  index: UploadIndex;
  /** Where it was written. */
  dir: string;
}

export interface Fetched {
  results: StoredResult[];
  /** Uploads with parts but no index: a pod that died while uploading. */
  incomplete: { shard: number; attempt: string; parts: number }[];
}

/** Every complete upload of the run, each written into `<into>/shard-<i>-<attempt>`. */
export async function downloadResults(client: KubeClient, o: { namespace: string; runId: string; into: string }): Promise<Fetched> {
  const list = await client.json<ConfigMapList>('GET', cmPath(o.namespace), { query: { labelSelector: `${RUN_LABEL}=${o.runId},${RESULT_LABEL}` } });
  const parts = new Map<string, Map<number, string>>();
  const indexes: UploadIndex[] = [];
  for (const cm of list.items) {
    const l = cm.metadata.labels ?? {};
    const attempt = l[ATTEMPT_LABEL] ?? '';
    if (l[RESULT_LABEL] === 'index' && cm.data?.['index.json']) indexes.push(JSON.parse(cm.data['index.json']) as UploadIndex);
    else if (l[RESULT_LABEL] === 'part' && cm.binaryData?.bundle) {
      const k = Number(cm.metadata.name.slice(cm.metadata.name.lastIndexOf('-') + 1));
      const key = `${l[SHARD_LABEL]}/${attempt}`;
      const m = parts.get(key) ?? new Map<number, string>();
      m.set(k, cm.binaryData.bundle);
      parts.set(key, m);
    }
  }
  const results: StoredResult[] = [];
  for (const idx of indexes.sort((a, b) => a.shard - b.shard || a.uploadedAt.localeCompare(b.uploadedAt))) {
    const got = parts.get(`${idx.shard}/${idx.attempt}`) ?? new Map<number, string>();
    const chunks: Buffer[] = [];
    for (let k = 0; k < idx.parts; k++) {
      const c = got.get(k);
      if (c === undefined) throw new Error(`the upload of shard ${idx.shard} (attempt ${idx.attempt}) lacks part ${k} of ${idx.parts} (${resultName(o.runId, idx.shard, idx.attempt, k)})`);
      chunks.push(Buffer.from(c, 'base64'));
    }
    const bundle = Buffer.concat(chunks);
    const sha = createHash('sha256').update(bundle).digest('hex');
    if (sha !== idx.sha256) throw new Error(`the upload of shard ${idx.shard} (attempt ${idx.attempt}) is damaged: sha256 ${sha.slice(0, 12)}, its index says ${idx.sha256.slice(0, 12)}`);
    const { files } = JSON.parse(gunzipSync(bundle).toString('utf8')) as { files: Record<string, string> };
    const dir = path.join(o.into, `shard-${idx.shard}-${idx.attempt}`);
    for (const [name, b64] of Object.entries(files)) {
      const target = path.join(dir, name);
      if (!target.startsWith(dir + path.sep)) throw new Error(`the upload of shard ${idx.shard} names a file outside its folder: ${name}`);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, Buffer.from(b64, 'base64'));
    }
    results.push({ index: idx, dir });
    parts.delete(`${idx.shard}/${idx.attempt}`);
  }
  const incomplete = [...parts.entries()].map(([key, m]) => {
    const [shard, attempt] = key.split('/');
    return { shard: Number(shard), attempt: attempt ?? '', parts: m.size };
  });
  return { results, incomplete };
}
