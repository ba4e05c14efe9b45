import { describe, expect, it } from 'vitest';
import { validatePodSpecUpdate } from '../../src/sim/apiserver/resources/pod-update.js';
import { semanticEqual } from '../../src/sim/apiserver/semantic-equal.js';

type Json = Record<string, any>;

const base = (): Json => ({
  containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
});

function check(change: (s: Json) => void, old: Json = base()): string[] {
  const next = structuredClone(old);
  change(next);
  return validatePodSpecUpdate(next, old).map((c) => `${c.field}: ${c.reason}`);
}

describe('semanticEqual', () => {
  it.each([
    ['key order', { a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }, true],
    ['omitted empty fields', { a: 1, b: [], c: {}, d: null, e: false, f: 0, g: '' }, { a: 1 }, true],
    ['quantities by value', { resources: { requests: { cpu: '100m', memory: '1Gi' } } }, { resources: { requests: { cpu: '0.1', memory: '1073741824' } } }, true],
    ['different quantities', { resources: { limits: { cpu: '100m' } } }, { resources: { limits: { cpu: '200m' } } }, false],
    ['array order', { a: [1, 2] }, { a: [2, 1] }, false],
    ['a changed scalar', { a: 'x' }, { a: 'y' }, false],
    ['an extra field', { a: 1 }, { a: 1, b: 2 }, false],
  ])('%s', (_what, a, b, equal) => {
    expect(semanticEqual(a, b)).toBe(equal);
    expect(semanticEqual(b, a)).toBe(equal);
  });
});

describe('validatePodSpecUpdate (ValidatePodUpdate)', () => {
  it.each<[string, (s: Json) => void, string[]]>([
    ['no change', () => undefined, []],
    ['an image', (s) => (s.containers[0].image = 'busybox:1.37'), []],
    ['an empty image', (s) => (s.containers[0].image = ''), ['spec.containers[0].image: FieldValueRequired']],
    ['activeDeadlineSeconds set', (s) => (s.activeDeadlineSeconds = 60), []],
    ['a negative activeDeadlineSeconds', (s) => (s.activeDeadlineSeconds = -1), ['spec.activeDeadlineSeconds: FieldValueInvalid']],
    ['a toleration added', (s) => s.tolerations.push({ operator: 'Exists' }), []],
    ['a toleration changed', (s) => (s.tolerations[0].effect = 'NoSchedule'), ['spec.tolerations: FieldValueForbidden']],
    ['tolerationSeconds changed', (s) => (s.tolerations[0].tolerationSeconds = 10), []],
    ['a container added', (s) => s.containers.push({ name: 'd', image: 'x' }), ['spec.containers: FieldValueForbidden']],
    ['restartPolicy', (s) => (s.restartPolicy = 'Never'), ['spec: FieldValueForbidden']],
    ['terminationGracePeriodSeconds', (s) => (s.terminationGracePeriodSeconds = 5), ['spec: FieldValueForbidden']],
    ['a new scheduling gate', (s) => (s.schedulingGates = [{ name: 'g' }]), ['spec.schedulingGates[0].name: FieldValueForbidden']],
    ['a node selector on a pod that is not gated', (s) => (s.nodeSelector = { zone: 'a' }), ['spec: FieldValueForbidden']],
  ])('%s', (_what, change, causes) => {
    expect(check(change)).toEqual(causes);
  });

  it('lowers activeDeadlineSeconds, never raises or unsets it', () => {
    const old = { ...base(), activeDeadlineSeconds: 60 };
    expect(check((s) => (s.activeDeadlineSeconds = 30), old)).toEqual([]);
    expect(check((s) => (s.activeDeadlineSeconds = 90), old)).toEqual(['spec.activeDeadlineSeconds: FieldValueInvalid']);
    expect(check((s) => delete s.activeDeadlineSeconds, old)).toEqual(['spec.activeDeadlineSeconds: FieldValueInvalid']);
  });

  it('sets a negative grace period to 1, and nothing else', () => {
    const old = { ...base(), terminationGracePeriodSeconds: -1 };
    expect(check((s) => (s.terminationGracePeriodSeconds = 1), old)).toEqual([]);
    expect(check((s) => (s.terminationGracePeriodSeconds = 2), old)).toEqual(['spec: FieldValueForbidden']);
  });

  it('lets a gated pod remove gates and narrow its node selector and node affinity', () => {
    const term = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] };
    const gated = {
      ...base(),
      schedulingGates: [{ name: 'g1' }, { name: 'g2' }],
      nodeSelector: { disk: 'ssd' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } },
    };
    expect(check((s) => (s.schedulingGates = [{ name: 'g2' }]), gated)).toEqual([]);
    expect(check((s) => (s.nodeSelector.zone = 'a'), gated)).toEqual([]);
    expect(check((s) => (s.nodeSelector.disk = 'hdd'), gated)).toEqual(['spec.nodeSelector: FieldValueInvalid']);
    const terms = (s: Json): Json[] => s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(check((s) => terms(s)[0]!.matchExpressions.push({ key: 'rack', operator: 'Exists' }), gated)).toEqual([]);
    expect(check((s) => (terms(s)[0]!.matchExpressions[0].values = ['b']), gated)).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]: FieldValueInvalid',
    ]);
    expect(check((s) => terms(s).push(term), gated)).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: FieldValueInvalid',
    ]);
  });
});
