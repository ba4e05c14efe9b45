import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { binaryPath, type BuildRecord, cachedBuild, type ComponentCache, componentCache } from './binary-cache.js';
import { COMPONENT_BUILDS, type ComponentBuild, KWOK_STAGE_FILES } from './components.js';
import { findGo, type GoToolchain, requiredGo } from './go-toolchain.js';

const run = promisify(execFile);

/** `go build` failed: the run failed (exit 1), with go's last lines. */
export class BuildError extends Error {}

export interface BuildOptions {
  /** The go command (default `go` on PATH). */
  go?: string;
  /** Rebuild even when the cache has this version. */
  force?: boolean;
  log(line: string): void;
  env?: NodeJS.ProcessEnv;
}

export interface BuildOutcome {
  cache: ComponentCache;
  record: BuildRecord;
  /** True when nothing was built: the cache had this version. */
  cached: boolean;
}

function ldflags(c: ComponentBuild, version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  // -s -w: no symbol table or DWARF (a third smaller); panics still print stack traces.
  return ['-s', '-w', ...c.ldflags.map((f) => f.replace('{version}', version).replace('{major}', major ?? '').replace('{minor}', minor ?? ''))].join(' ');
}

function goEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // -mod=readonly: the pinned go.sum is the truth; a build never rewrites it.
  return { ...base, GOTOOLCHAIN: 'local', GOFLAGS: [base.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') };
}

/** One `go build`, with -v so a long cold build shows progress (packages compiled). */
async function goBuild(go: GoToolchain, c: ComponentBuild, cwd: string, out: string, version: string, o: BuildOptions): Promise<void> {
  const args = ['build', '-v', '-o', out, '-ldflags', ldflags(c, version), c.pkg];
  const child = spawn(go.go, args, { cwd, env: goEnv(o.env ?? process.env), stdio: ['ignore', 'ignore', 'pipe'] });
  const tail: string[] = [];
  let packages = 0;
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (line) => {
    // -v prints one import path per compiled package; anything else is go talking.
    if (/^[\w.-]+(\/[\w.@~+-]+)*$/.test(line)) packages++;
    tail.push(line);
    if (tail.length > 40) tail.shift();
  });
  const timer = setInterval(() => o.log(`${c.name}: ${packages} packages compiled so far`), 30_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearInterval(timer));
  if (code !== 0) {
    const errors = tail.filter((l) => !/^[\w.-]+(\/[\w.@~+-]+)*$/.test(l));
    throw new BuildError(`go build of ${c.name} (${c.pkg}) in ${cwd} failed (exit ${code}):\n${(errors.length ? errors : tail).slice(-20).join('\n')}`);
  }
}

/** kwok's stage files from the pinned module in Go's module cache. */
async function copyStages(go: GoToolchain, cache: ComponentCache, into: string, o: BuildOptions): Promise<void> {
  const { stdout } = await run(go.go, ['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kwok'], { cwd: cache.goMods.kwok.dir, env: goEnv(o.env ?? process.env) });
  const moduleDir = stdout.trim();
  if (!moduleDir) throw new BuildError('go list found no directory for sigs.k8s.io/kwok (is the module downloaded?)');
  await mkdir(into, { recursive: true });
  for (const f of KWOK_STAGE_FILES) await copyFile(path.join(moduleDir, f), path.join(into, path.basename(f)));
}

/**
 * Builds every component of the pinned versions into the cache, unless it is there
 * already. The build goes to a temporary folder renamed into place at the end, so an
 * interrupted build never leaves a folder that looks complete.
 */
export async function buildComponents(o: BuildOptions): Promise<BuildOutcome> {
  const cache = componentCache(o.env ?? process.env);
  const existing = o.force ? undefined : cachedBuild(cache);
  if (existing) return { cache, record: existing, cached: true };

  const need = [requiredGo(cache.goMods.kubernetes.text), requiredGo(cache.goMods.kwok.text)].filter((v): v is string => !!v).sort().pop() ?? '1.26';
  const go = await findGo(need, o.go);
  const started = Date.now();
  const tmp = `${cache.dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(path.join(tmp, 'bin'), { recursive: true });
    const binaries = {} as BuildRecord['binaries'];
    for (const c of COMPONENT_BUILDS) {
      const version = c.versionOf === 'k8s.io/kubernetes' ? cache.versions.kubernetes : c.versionOf === 'sigs.k8s.io/kwok' ? cache.versions.kwok : cache.versions.etcd;
      o.log(`building ${c.name} ${version} (${c.pkg}) with ${go.version}`);
      const t0 = Date.now();
      const out = path.join(tmp, 'bin', c.name);
      await goBuild(go, c, cache.goMods[c.module].dir, out, version, o);
      binaries[c.name] = { bytes: (await stat(out)).size };
      o.log(`built ${c.name} in ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    await copyStages(go, cache, path.join(tmp, 'stages'), o);
    const record: BuildRecord = {
      versions: cache.versions,
      go: go.version,
      builtAt: new Date().toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      binaries,
    };
    await writeFile(path.join(tmp, 'build.json'), JSON.stringify(record, null, 2) + '\n');
    await rm(cache.dir, { recursive: true, force: true });
    await mkdir(path.dirname(cache.dir), { recursive: true });
    await rename(tmp, cache.dir);
    return { cache, record, cached: false };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The cached components for `cluster up`, or an error saying how to build them. */
export function builtComponents(env: NodeJS.ProcessEnv = process.env): { cache: ComponentCache; record: BuildRecord } | { missing: string } {
  const cache = componentCache(env);
  const record = cachedBuild(cache);
  if (!record) {
    return {
      missing: `the control-plane components (Kubernetes ${cache.versions.kubernetes}, etcd ${cache.versions.etcd}, kwok ${cache.versions.kwok}) are not built yet: run \`kbench cluster build\` first (it needs Go; the first build takes tens of minutes on 2 cores, later ones seconds). Expected in ${cache.dir}`,
    };
  }
  return { cache, record };
}

export { binaryPath };
