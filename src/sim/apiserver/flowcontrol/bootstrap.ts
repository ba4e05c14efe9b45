/**
 * The FlowSchemas and PriorityLevelConfigurations a kube-apiserver creates at start, as
 * data (k8s.io/apiserver pkg/apis/flowcontrol/bootstrap/default.go of v0.37.2, mandatory
 * and suggested), in the flowcontrol.apiserver.k8s.io/v1 shape they are served in.
 */

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  user?: { name: string };
  group?: { name: string };
  serviceAccount?: { namespace: string; name: string };
}

export interface ResourcePolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  namespaces?: string[];
  clusterScope?: boolean;
}

export interface NonResourcePolicyRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface PolicyRulesWithSubjects {
  subjects: Subject[];
  resourceRules?: ResourcePolicyRule[];
  nonResourceRules?: NonResourcePolicyRule[];
}

export interface FlowSchemaSpec {
  priorityLevelConfiguration: { name: string };
  matchingPrecedence: number;
  distinguisherMethod?: { type: 'ByUser' | 'ByNamespace' };
  rules: PolicyRulesWithSubjects[];
}

export interface QueuingConfiguration {
  queues: number;
  handSize: number;
  queueLengthLimit: number;
}

export interface PriorityLevelSpec {
  type: 'Exempt' | 'Limited';
  exempt?: { nominalConcurrencyShares: number; lendablePercent: number };
  limited?: {
    nominalConcurrencyShares: number;
    lendablePercent: number;
    borrowingLimitPercent?: number;
    limitResponse: { type: 'Queue'; queuing: QueuingConfiguration } | { type: 'Reject' };
  };
}

export interface FlowSchemaDef {
  name: string;
  spec: FlowSchemaSpec;
}

export interface PriorityLevelDef {
  name: string;
  spec: PriorityLevelSpec;
}

const group = (name: string): Subject => ({ kind: 'Group', group: { name } });
const user = (name: string): Subject => ({ kind: 'User', user: { name } });
const kubeSystemServiceAccounts: Subject = { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: '*' } };

const everything = (subjects: Subject[]): PolicyRulesWithSubjects => ({
  subjects,
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
});

const queued = (shares: number, lendablePercent: number, queues: number, handSize: number, queueLengthLimit: number): PriorityLevelSpec => ({
  type: 'Limited',
  limited: { nominalConcurrencyShares: shares, lendablePercent, limitResponse: { type: 'Queue', queuing: { queues, handSize, queueLengthLimit } } },
});

export const DEFAULT_PRIORITY_LEVELS: readonly PriorityLevelDef[] = [
  { name: 'exempt', spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } } },
  { name: 'catch-all', spec: { type: 'Limited', limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } } } },
  { name: 'system', spec: queued(30, 33, 64, 6, 50) },
  { name: 'node-high', spec: queued(40, 25, 64, 6, 50) },
  { name: 'leader-election', spec: queued(10, 0, 16, 4, 50) },
  { name: 'workload-high', spec: queued(40, 50, 128, 6, 50) },
  { name: 'workload-low', spec: queued(100, 90, 128, 6, 50) },
  { name: 'global-default', spec: queued(20, 50, 128, 6, 50) },
];

export const DEFAULT_FLOW_SCHEMAS: readonly FlowSchemaDef[] = [
  { name: 'exempt', spec: { priorityLevelConfiguration: { name: 'exempt' }, matchingPrecedence: 1, rules: [everything([group('system:masters')])] } },
  {
    name: 'probes',
    spec: {
      priorityLevelConfiguration: { name: 'exempt' },
      matchingPrecedence: 2,
      rules: [
        {
          subjects: [group('system:unauthenticated'), group('system:authenticated')],
          nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }],
        },
      ],
    },
  },
  {
    name: 'system-leader-election',
    spec: {
      priorityLevelConfiguration: { name: 'leader-election' },
      matchingPrecedence: 100,
      distinguisherMethod: { type: 'ByUser' },
      rules: [
        {
          subjects: [user('system:kube-controller-manager'), user('system:kube-scheduler'), kubeSystemServiceAccounts],
          resourceRules: [{ verbs: ['get', 'create', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['*'], clusterScope: false }],
        },
      ],
    },
  },
  {
    name: 'system-node-high',
    spec: {
      priorityLevelConfiguration: { name: 'node-high' },
      matchingPrecedence: 400,
      distinguisherMethod: { type: 'ByUser' },
      rules: [
        {
          subjects: [group('system:nodes')],
          resourceRules: [
            { verbs: ['*'], apiGroups: [''], resources: ['nodes', 'nodes/status'], namespaces: ['*'], clusterScope: true },
            { verbs: ['*'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['*'], clusterScope: false },
          ],
        },
      ],
    },
  },
  {
    name: 'system-nodes',
    spec: { priorityLevelConfiguration: { name: 'system' }, matchingPrecedence: 500, distinguisherMethod: { type: 'ByUser' }, rules: [everything([group('system:nodes')])] },
  },
  {
    name: 'kube-controller-manager',
    spec: {
      priorityLevelConfiguration: { name: 'workload-high' },
      matchingPrecedence: 800,
      distinguisherMethod: { type: 'ByNamespace' },
      rules: [everything([user('system:kube-controller-manager')])],
    },
  },
  {
    name: 'kube-scheduler',
    spec: {
      priorityLevelConfiguration: { name: 'workload-high' },
      matchingPrecedence: 800,
      distinguisherMethod: { type: 'ByNamespace' },
      rules: [everything([user('system:kube-scheduler')])],
    },
  },
  {
    name: 'kube-system-service-accounts',
    spec: {
      priorityLevelConfiguration: { name: 'workload-high' },
      matchingPrecedence: 900,
      distinguisherMethod: { type: 'ByNamespace' },
      rules: [everything([kubeSystemServiceAccounts])],
    },
  },
  {
    name: 'service-accounts',
    spec: {
      priorityLevelConfiguration: { name: 'workload-low' },
      matchingPrecedence: 9000,
      distinguisherMethod: { type: 'ByUser' },
      rules: [everything([group('system:serviceaccounts')])],
    },
  },
  {
    name: 'global-default',
    spec: {
      priorityLevelConfiguration: { name: 'global-default' },
      matchingPrecedence: 9900,
      distinguisherMethod: { type: 'ByUser' },
      rules: [everything([group('system:unauthenticated'), group('system:authenticated')])],
    },
  },
  {
    name: 'catch-all',
    spec: {
      priorityLevelConfiguration: { name: 'catch-all' },
      matchingPrecedence: 10000,
      distinguisherMethod: { type: 'ByUser' },
      rules: [everything([group('system:unauthenticated'), group('system:authenticated')])],
    },
  },
];
