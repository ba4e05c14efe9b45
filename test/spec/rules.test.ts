import { describe, expect, it } from 'vitest';
import { DEFAULT_SLO } from '../../src/spec/resolve.js';
import { readSimSetting, SIM_SCHEMA_PROPERTIES, simFlagsFor, simOptionDefaults } from '../../src/spec/sim-settings.js';
import { apiSloClass, apiThresholdMs, judge } from '../../src/spec/slos.js';

describe('SLOs as data', () => {
  it('defaults are sig-scalability\'s', () => {
    expect(DEFAULT_SLO).toEqual({ podStartupP99: 5000, mutatingApiP99: 1000, readResourceApiP99: 1000, readNamespaceApiP99: 5000, readClusterApiP99: 30000, schedulerPendingMax: 100, etcdWalFsyncP99: 10, etcdBackendCommitP99: 25 });
  });

  it('one table puts every request key in its class', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION'].map((v) => apiSloClass(v, 'resource').name)).toEqual(Array(6).fill('mutating'));
    expect(apiSloClass('GET', 'resource').name).toBe('resource');
    expect(apiSloClass('LIST', 'namespace').name).toBe('namespace');
    expect(apiSloClass('LIST', 'cluster').name).toBe('cluster');
    expect(apiThresholdMs(DEFAULT_SLO, 'LIST', 'cluster')).toBe(30_000);
    expect(apiThresholdMs({ ...DEFAULT_SLO, mutatingApiP99: 250 }, 'patch', 'namespace')).toBe(250);
  });

  it('judges pass, fail and unavailable, never passing a value that is not there', () => {
    const base = { id: 'x', description: 'x', side: 'client' as const, threshold: 100, unit: 'pods' as const, comparison: '<' as const };
    expect(judge({ ...base, value: 99 }).verdict).toBe('pass');
    expect(judge({ ...base, value: 100 }).verdict).toBe('fail');
    expect(judge({ ...base, comparison: '<=', value: 100 }).verdict).toBe('pass');
    expect(judge({ ...base, unavailable: 'no scheduler' })).toMatchObject({ verdict: 'unavailable', reason: 'no scheduler' });
    expect(judge({ ...base, value: Number.NaN }).verdict).toBe('unavailable');
  });
});

describe('sim settings as data', () => {
  it('read each kind of value, and say what is wrong with a bad one', () => {
    expect(readSimSetting('nodeMemory', '16Gi')).toEqual({ ok: true, value: '16Gi' });
    expect(readSimSetting('nodeMemory', 'lots')).toEqual({ ok: false, message: 'must be a Kubernetes quantity like 4, 3500m, 16Gi (got "lots")' });
    expect(readSimSetting('podStartupDelay', '1.5s')).toEqual({ ok: true, value: 1500 });
    expect(readSimSetting('podStartupDelay', 'soon')).toMatchObject({ ok: false });
    expect(readSimSetting('nodes', '20')).toEqual({ ok: true, value: 20 });
    expect(readSimSetting('nodes', -1)).toEqual({ ok: false, message: 'must be a whole number of at least 0 (got -1)' });
    expect(readSimSetting('nodes', 2.5)).toMatchObject({ ok: false });
    expect(readSimSetting('storage', 'disk')).toEqual({ ok: false, message: 'must be one of auto, etcd, memory (got "disk")' });
    expect(readSimSetting('kubeletEvents', 'yes')).toMatchObject({ ok: false });
  });

  it('give the sim its defaults by option name, durations in ms', () => {
    expect(simOptionDefaults()).toMatchObject({ podStartupDelayMs: 800, nodes: 100, nodeMemory: '16Gi', storage: 'auto', minRequestTimeoutSeconds: 1800 });
  });

  it('turn a workload\'s sim: block into kbench sim flags, and keep process settings out of workloads', () => {
    expect(simFlagsFor({ nodes: 20, podStartupDelay: '800ms', eventsEtcd: true, kubeletEvents: false }, 7)).toEqual(['--nodes', '20', '--pod-startup-delay', '800ms', '--events-etcd', '--no-kubelet-events', '--seed', '7']);
    expect(Object.keys(SIM_SCHEMA_PROPERTIES)).not.toContain('port');
    expect(Object.keys(SIM_SCHEMA_PROPERTIES)).not.toContain('dataDir');
    expect(Object.keys(SIM_SCHEMA_PROPERTIES)).toContain('podStartupDelay');
  });
});
