import { createHash } from 'node:crypto';
import { SIM_KUBE_VERSION } from '../apiserver/discovery.js';
import { rfc3339Micro, rfc3339Seconds, type KubeObject } from '../apiserver/types.js';

/** Shape of every simulated node (PayPal's defaults: 4 CPU, 16 GiB, 40 pods). */
export interface NodeShape {
  cpu: string;
  memory: string;
  pods: number;
}

export const ZONES = ['zone-a', 'zone-b', 'zone-c'];

export function nodeName(index: number): string {
  return `sim-node-${String(index).padStart(4, '0')}`;
}

/** 10.0.0.0/16 for node addresses. */
export function nodeIp(index: number): string {
  return `10.0.${(index >> 8) & 255}.${(index & 255) + 1}`;
}

/** A /24 per node out of 10.64.0.0/10 for pod addresses. */
export function podCidrBase(index: number): string {
  return `10.${64 + ((index >> 8) & 63)}.${index & 255}`;
}

function stableId(seed: string): string {
  return createHash('sha1').update(seed).digest('hex').slice(0, 32);
}

function conditions(heartbeat: number, transition: number): Record<string, unknown>[] {
  const t = rfc3339Seconds(heartbeat);
  const since = rfc3339Seconds(transition);
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: t,
    lastTransitionTime: since,
    reason,
    message,
  });
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** The Node object a kubelet registers, with status as a real kubelet reports it. */
export function nodeObject(index: number, shape: NodeShape, now: number): KubeObject {
  const name = nodeName(index);
  const resources = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.pods), 'ephemeral-storage': '100Gi' };
  const cidr = `${podCidrBase(index)}.0/24`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'kbench-sim',
        'topology.kubernetes.io/zone': ZONES[index % ZONES.length]!,
        'kbench.io/sim-node': 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr] },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: conditions(now, now),
      addresses: [
        { type: 'InternalIP', address: nodeIp(index) },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: stableId(`machine-${name}`),
        systemUUID: stableId(`system-${name}`),
        bootID: stableId(`boot-${name}`),
        kernelVersion: '6.1.0-kbench-sim',
        osImage: 'kbench simulated node',
        containerRuntimeVersion: 'containerd://1.7.0-kbench-sim',
        kubeletVersion: SIM_KUBE_VERSION.gitVersion,
        kubeProxyVersion: SIM_KUBE_VERSION.gitVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: [],
    },
  };
}

/** The node's heartbeat Lease in kube-node-lease. */
export function nodeLease(name: string, now: number, leaseDurationSeconds = 40): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds, renewTime: rfc3339Micro(now) },
  };
}

/** The Node status conditions with a fresh heartbeat; transition times stay at `since`. */
export function heartbeatConditions(now: number, since: number): Record<string, unknown>[] {
  return conditions(now, since);
}
