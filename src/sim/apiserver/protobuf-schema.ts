/**
 * Field numbers of the Kubernetes protobuf messages the sim decodes: the kinds that
 * `kubectl create <kind>` (kubectl >= 1.32 sends typed-client bodies as protobuf) and
 * typed Go clients send for the resources the sim serves. Numbers as in k8s.io/api and
 * apimachinery generated.proto.
 *
 * Notation, one field per comma: `<number> <jsonName> <type>`. Types: s (string), i32,
 * i64, b (bool), bytes, time (meta.Time), micro (meta.MicroTime), q (Quantity), ios
 * (IntOrString), fields (FieldsV1), map<s|bytes|q>, or a message name; `[]` prefix for
 * repeated; a trailing `!` keeps a zero value (Go pointer fields, where 0 is meaningful).
 */
const TEXT: Record<string, string> = {
  ObjectMeta:
    '1 name s, 2 generateName s, 3 namespace s, 4 selfLink s, 5 uid s, 6 resourceVersion s, 7 generation i64, 8 creationTimestamp time, 9 deletionTimestamp time, 10 deletionGracePeriodSeconds i64!, 11 labels map<s>, 12 annotations map<s>, 13 ownerReferences []OwnerReference, 14 finalizers []s, 17 managedFields []ManagedFieldsEntry',
  OwnerReference: '1 kind s, 3 name s, 4 uid s, 5 apiVersion s, 6 controller b!, 7 blockOwnerDeletion b!',
  ManagedFieldsEntry: '1 manager s, 2 operation s, 3 apiVersion s, 4 time time, 6 fieldsType s, 7 fieldsV1 fields, 8 subresource s',
  LabelSelector: '1 matchLabels map<s>, 2 matchExpressions []LabelSelectorRequirement',
  LabelSelectorRequirement: '1 key s, 2 operator s, 3 values []s',
  ObjectReference: '1 kind s, 2 namespace s, 3 name s, 4 uid s, 5 apiVersion s, 6 resourceVersion s, 7 fieldPath s',
  LocalObjectReference: '1 name s',
  EventSource: '1 component s, 2 host s',
  EventSeries: '1 count i32, 2 lastObservedTime micro',

  Namespace: '1 metadata ObjectMeta, 2 spec NamespaceSpec, 3 status NamespaceStatus',
  NamespaceSpec: '1 finalizers []s',
  NamespaceStatus: '1 phase s',
  ConfigMap: '1 metadata ObjectMeta, 2 data map<s>, 3 binaryData map<bytes>, 4 immutable b!',
  Secret: '1 metadata ObjectMeta, 2 data map<bytes>, 3 type s, 4 stringData map<s>, 5 immutable b!',
  ServiceAccount:
    '1 metadata ObjectMeta, 2 secrets []ObjectReference, 3 imagePullSecrets []LocalObjectReference, 4 automountServiceAccountToken b!',
  Service: '1 metadata ObjectMeta, 2 spec ServiceSpec, 3 status ServiceStatus',
  ServiceSpec:
    '1 ports []ServicePort, 2 selector map<s>, 3 clusterIP s, 4 type s, 5 externalIPs []s, 7 sessionAffinity s, 8 loadBalancerIP s, 9 loadBalancerSourceRanges []s, 10 externalName s, 11 externalTrafficPolicy s, 12 healthCheckNodePort i32, 13 publishNotReadyAddresses b, 17 ipFamilyPolicy s!, 18 clusterIPs []s, 19 ipFamilies []s, 20 allocateLoadBalancerNodePorts b!, 21 loadBalancerClass s!, 22 internalTrafficPolicy s!, 23 trafficDistribution s!',
  ServicePort: '1 name s, 2 protocol s, 3 port i32, 4 targetPort ios, 5 nodePort i32, 6 appProtocol s!',
  ServiceStatus: '1 loadBalancer LoadBalancerStatus',
  LoadBalancerStatus: '',

  Pod: '1 metadata ObjectMeta, 2 spec PodSpec, 3 status PodStatus',
  PodTemplateSpec: '1 metadata ObjectMeta, 2 spec PodSpec',
  PodSpec:
    '2 containers []Container, 3 restartPolicy s, 4 terminationGracePeriodSeconds i64!, 5 activeDeadlineSeconds i64!, 6 dnsPolicy s, 7 nodeSelector map<s>, 8 serviceAccountName s, 9 serviceAccount s, 10 nodeName s, 11 hostNetwork b, 12 hostPID b, 13 hostIPC b, 15 imagePullSecrets []LocalObjectReference, 16 hostname s, 17 subdomain s, 19 schedulerName s, 20 initContainers []Container, 21 automountServiceAccountToken b!, 22 tolerations []Toleration, 24 priorityClassName s, 25 priority i32!, 27 shareProcessNamespace b!, 29 runtimeClassName s!, 30 enableServiceLinks b!, 31 preemptionPolicy s!, 32 overhead map<q>, 35 setHostnameAsFQDN b!, 37 hostUsers b!, 40 resources ResourceRequirements',
  Container:
    '1 name s, 2 image s, 3 command []s, 4 args []s, 5 workingDir s, 6 ports []ContainerPort, 7 env []EnvVar, 8 resources ResourceRequirements, 9 volumeMounts []VolumeMount, 13 terminationMessagePath s, 14 imagePullPolicy s, 16 stdin b, 17 stdinOnce b, 18 tty b, 20 terminationMessagePolicy s, 24 restartPolicy s!',
  ContainerPort: '1 name s, 2 hostPort i32, 3 containerPort i32, 4 protocol s, 5 hostIP s',
  EnvVar: '1 name s, 2 value s',
  ResourceRequirements: '1 limits map<q>, 2 requests map<q>',
  VolumeMount: '1 name s, 2 readOnly b, 3 mountPath s, 4 subPath s, 5 mountPropagation s!, 6 subPathExpr s, 7 recursiveReadOnly s!',
  Toleration: '1 key s, 2 operator s, 3 value s, 4 effect s, 5 tolerationSeconds i64!',
  PodStatus:
    '1 phase s, 2 conditions []PodCondition, 3 message s, 4 reason s, 5 hostIP s, 6 podIP s, 7 startTime time, 9 qosClass s, 11 nominatedNodeName s, 12 podIPs []PodIP, 16 hostIPs []PodIP',
  PodCondition: '1 type s, 2 status s, 3 lastProbeTime time, 4 lastTransitionTime time, 5 reason s, 6 message s',
  PodIP: '1 ip s',
  Binding: '1 metadata ObjectMeta, 2 target ObjectReference',

  Deployment: '1 metadata ObjectMeta, 2 spec DeploymentSpec, 3 status DeploymentStatus',
  DeploymentSpec:
    '1 replicas i32!, 2 selector LabelSelector, 3 template PodTemplateSpec, 4 strategy DeploymentStrategy, 5 minReadySeconds i32, 6 revisionHistoryLimit i32!, 7 paused b, 9 progressDeadlineSeconds i32!',
  DeploymentStrategy: '1 type s, 2 rollingUpdate RollingUpdateDeployment',
  RollingUpdateDeployment: '1 maxUnavailable ios, 2 maxSurge ios',
  DeploymentStatus: '1 observedGeneration i64, 2 replicas i32, 3 updatedReplicas i32, 4 availableReplicas i32, 5 unavailableReplicas i32, 7 readyReplicas i32, 8 collisionCount i32!',
  ReplicaSet: '1 metadata ObjectMeta, 2 spec ReplicaSetSpec, 3 status ReplicaSetStatus',
  ReplicaSetSpec: '1 replicas i32!, 2 selector LabelSelector, 3 template PodTemplateSpec, 4 minReadySeconds i32',
  ReplicaSetStatus: '1 replicas i32, 2 fullyLabeledReplicas i32, 3 observedGeneration i64, 4 readyReplicas i32, 5 availableReplicas i32',
  Scale: '1 metadata ObjectMeta, 2 spec ScaleSpec, 3 status ScaleStatus',
  ScaleSpec: '1 replicas i32',
  ScaleStatus: '1 replicas i32, 2 selector s',

  Lease: '1 metadata ObjectMeta, 2 spec LeaseSpec',
  LeaseSpec:
    '1 holderIdentity s!, 2 leaseDurationSeconds i32!, 3 acquireTime micro, 4 renewTime micro, 5 leaseTransitions i32!, 6 strategy s!, 7 preferredHolder s!',
  Event:
    '1 metadata ObjectMeta, 2 involvedObject ObjectReference, 3 reason s, 4 message s, 5 source EventSource, 6 firstTimestamp time, 7 lastTimestamp time, 8 count i32, 9 type s, 10 eventTime micro, 11 series EventSeries, 12 action s, 13 related ObjectReference, 14 reportingComponent s, 15 reportingInstance s',
  EventsV1Event:
    '1 metadata ObjectMeta, 2 eventTime micro, 3 series EventSeries, 4 reportingController s, 5 reportingInstance s, 6 action s, 7 reason s, 8 regarding ObjectReference, 9 related ObjectReference, 10 note s, 11 type s, 12 deprecatedSource EventSource, 13 deprecatedFirstTimestamp time, 14 deprecatedLastTimestamp time, 15 deprecatedCount i32',
  DeleteOptions: '1 gracePeriodSeconds i64!, 2 preconditions Preconditions, 3 orphanDependents b!, 4 propagationPolicy s!, 5 dryRun []s',
  Preconditions: '1 uid s!, 2 resourceVersion s!',
};

export type ScalarType = 's' | 'i32' | 'i64' | 'b' | 'bytes' | 'time' | 'micro' | 'q' | 'ios' | 'fields';

export interface FieldDef {
  name: string;
  /** A scalar type or a message name. */
  type: ScalarType | string;
  repeated: boolean;
  /** Value type of a map<string, V> field. */
  map?: 's' | 'bytes' | 'q';
  keepZero: boolean;
}

const SCALARS = new Set(['s', 'i32', 'i64', 'b', 'bytes', 'time', 'micro', 'q', 'ios', 'fields']);

function parse(): Map<string, Map<number, FieldDef>> {
  const out = new Map<string, Map<number, FieldDef>>();
  for (const [message, text] of Object.entries(TEXT)) {
    const fields = new Map<number, FieldDef>();
    for (const raw of text.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [num, name, typeRaw] = raw.split(/\s+/) as [string, string, string];
      let type = typeRaw;
      const keepZero = type.endsWith('!');
      if (keepZero) type = type.slice(0, -1);
      const repeated = type.startsWith('[]');
      if (repeated) type = type.slice(2);
      const mapMatch = /^map<(s|bytes|q)>$/.exec(type);
      const def: FieldDef = { name, type: mapMatch ? 'map' : type, repeated, keepZero };
      if (mapMatch) def.map = mapMatch[1] as FieldDef['map'];
      fields.set(Number(num), def);
    }
    out.set(message, fields);
  }
  // Every referenced message must be defined: a typo here would silently drop fields.
  for (const [message, fields] of out) {
    for (const f of fields.values()) {
      if (f.type !== 'map' && !SCALARS.has(f.type) && !out.has(f.type)) {
        throw new Error(`protobuf schema: ${message}.${f.name} refers to unknown message ${f.type}`);
      }
    }
  }
  return out;
}

export const MESSAGES = parse();

/** Top-level message of each apiVersion/kind the sim accepts as protobuf. */
export const KIND_MESSAGES: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'v1/Pod': 'Pod',
  'v1/Binding': 'Binding',
  'v1/Event': 'Event',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'autoscaling/v1/Scale': 'Scale',
  'coordination.k8s.io/v1/Lease': 'Lease',
  'events.k8s.io/v1/Event': 'EventsV1Event',
};
