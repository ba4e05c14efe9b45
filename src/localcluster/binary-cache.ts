import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPONENT_BUILDS, type ComponentName, componentsDir, type GoModule, KWOK_STAGE_FILES } from './components.js';

/** Bumped when the way binaries are built changes, so old cache entries are not reused. */
const RECIPE = 1;

/** What a finished build wrote, last, into its cache folder (`build.json`). */
export interface BuildRecord {
  versions: { kubernetes: string; etcd: string; kwok: string };
  go: string;
  builtAt: string;
  durationS: number;
  binaries: Record<ComponentName, { bytes: number }>;
}

/** Where one pinned set of components lives once built. */
export interface ComponentCache {
  /** The folder for this set of versions and go.mod/go.sum contents. */
  dir: string;
  binDir: string;
  stagesDir: string;
  versions: BuildRecord['versions'];
  /** The Go each module needs (its `go` directive). */
  goMods: Record<GoModule, { dir: string; text: string }>;
}

/** $XDG_CACHE_HOME/kbench, else ~/.cache/kbench. */
export function kbenchCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME ?? os.homedir(), '.cache');
  return path.join(base, 'kbench');
}

/** The version a go.mod requires of a module (direct or indirect). */
export function requiredVersion(goMod: string, module: string): string | undefined {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
}

function readModule(dir: string, module: GoModule): { dir: string; text: string; sum: string } {
  const d = path.join(dir, module);
  return { dir: d, text: readFileSync(path.join(d, 'go.mod'), 'utf8'), sum: readFileSync(path.join(d, 'go.sum'), 'utf8') };
}

/**
 * The cache folder of the pinned components: named by their versions and a hash of both
 * go.mod/go.sum pairs and the build recipe, so a changed pin never reuses an old binary
 * while the same pin never rebuilds. The Go version is not part of it: any Go that can
 * build the modules builds the same components.
 */
export function componentCache(env: NodeJS.ProcessEnv = process.env, compDir = componentsDir()): ComponentCache {
  const kube = readModule(compDir, 'kubernetes');
  const kwok = readModule(compDir, 'kwok');
  const version = (mod: { text: string }, m: string, file: string): string => {
    const v = requiredVersion(mod.text, m);
    if (!v) throw new Error(`${file} does not require ${m}`);
    return v;
  };
  const versions = {
    kubernetes: version(kube, 'k8s.io/kubernetes', 'components/kubernetes/go.mod'),
    etcd: version(kube, 'go.etcd.io/etcd/server/v3', 'components/kubernetes/go.mod'),
    kwok: version(kwok, 'sigs.k8s.io/kwok', 'components/kwok/go.mod'),
  };
  const hash = createHash('sha256')
    .update(JSON.stringify({ RECIPE, COMPONENT_BUILDS, KWOK_STAGE_FILES }))
    .update(kube.text)
    .update(kube.sum)
    .update(kwok.text)
    .update(kwok.sum)
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(kbenchCacheRoot(env), 'components', `k8s-${versions.kubernetes}_etcd-${versions.etcd}_kwok-${versions.kwok}_${hash}`);
  return {
    dir,
    binDir: path.join(dir, 'bin'),
    stagesDir: path.join(dir, 'stages'),
    versions,
    goMods: { kubernetes: { dir: kube.dir, text: kube.text }, kwok: { dir: kwok.dir, text: kwok.text } },
  };
}

/** The binary of a component in a cache folder. */
export function binaryPath(cache: ComponentCache, name: ComponentName): string {
  return path.join(cache.binDir, name);
}

/** The finished build in this cache folder, or undefined when any part is missing. */
export function cachedBuild(cache: ComponentCache): BuildRecord | undefined {
  const record = path.join(cache.dir, 'build.json');
  if (!existsSync(record)) return undefined;
  for (const c of COMPONENT_BUILDS) {
    try {
      if (!(statSync(binaryPath(cache, c.name)).mode & 0o100)) return undefined;
    } catch {
      return undefined;
    }
  }
  for (const f of KWOK_STAGE_FILES) if (!existsSync(path.join(cache.stagesDir, path.basename(f)))) return undefined;
  try {
    return JSON.parse(readFileSync(record, 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
}
