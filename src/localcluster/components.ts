import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Go modules in `components/` that pin the real components (see docs/cluster.md). */
export type GoModule = 'kubernetes' | 'kwok';

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface ComponentBuild {
  name: ComponentName;
  /** Which go.mod in components/ builds it. */
  module: GoModule;
  /** The main package, resolved in that module's graph. */
  pkg: string;
  /** The module whose required version names the build (`k8s.io/kubernetes v1.37.2`). */
  versionOf: string;
  /** Link flags beyond -s -w; `{version}` is replaced by the pinned version. */
  ldflags: string[];
}

// component-base's version variables: without them /version says v0.0.0-master.
const KUBE_VERSION_FLAGS = [
  '-X k8s.io/component-base/version.gitVersion={version}',
  '-X k8s.io/component-base/version.gitMajor={major}',
  '-X k8s.io/component-base/version.gitMinor={minor}',
  '-X k8s.io/component-base/version.gitTreeState=clean',
];

/** What `kbench cluster build` builds, in the order `cluster up` starts them. Data, not code. */
export const COMPONENT_BUILDS: readonly ComponentBuild[] = [
  { name: 'etcd', module: 'kubernetes', pkg: 'go.etcd.io/etcd/server/v3', versionOf: 'go.etcd.io/etcd/server/v3', ldflags: [] },
  { name: 'kube-apiserver', module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', versionOf: 'k8s.io/kubernetes', ldflags: KUBE_VERSION_FLAGS },
  { name: 'kube-controller-manager', module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager', versionOf: 'k8s.io/kubernetes', ldflags: KUBE_VERSION_FLAGS },
  { name: 'kube-scheduler', module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', versionOf: 'k8s.io/kubernetes', ldflags: KUBE_VERSION_FLAGS },
  { name: 'kwok', module: 'kwok', pkg: 'sigs.k8s.io/kwok/cmd/kwok', versionOf: 'sigs.k8s.io/kwok', ldflags: [] },
];

/**
 * kwok's published Stage definitions the fake nodes and pods follow (kwokctl's defaults:
 * the "fast" node and pod stages, heartbeat with a lease). Copied from the pinned kwok
 * module into the build cache, never into this repository.
 */
export const KWOK_STAGE_FILES: readonly string[] = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

/** components/ of this checkout (or of the installed package). */
export function componentsDir(): string {
  // From dist/localcluster/ or src/localcluster/ alike: two levels up.
  const dir = fileURLToPath(new URL('../../components', import.meta.url));
  if (!existsSync(dir)) throw new Error(`components/ not found at ${dir}: kbench is installed without its Go modules`);
  return dir;
}
