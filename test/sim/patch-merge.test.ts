import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../src/sim/apiserver/patch.js';
import { cloneJson } from '../../src/sim/apiserver/types.js';

/** JSON merge patch (RFC 7386) and the copy it makes of what the patch brings. */
describe('merge patch', () => {
  it('merges objects, replaces arrays and removes keys set to null (RFC 7386 examples)', () => {
    const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2], keep: true };
    const out = mergePatch(target, { a: 'z', c: { f: null }, list: [3], added: { x: [{ y: 1 }] } });
    expect(out).toEqual({ a: 'z', c: { d: 'e' }, list: [3], keep: true, added: { x: [{ y: 1 }] } });
    // The target is left as it was.
    expect(target).toEqual({ a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2], keep: true });
  });

  it('shares nothing with the patch: changing the result later does not change the patch', () => {
    const patch = { status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    const out = mergePatch({}, patch) as { status: { conditions: { status: string }[] } };
    out.status.conditions[0]!.status = 'False';
    expect(patch.status.conditions[0]!.status).toBe('True');
  });
});

describe('cloneJson', () => {
  it('copies deeply, keeps null and a "__proto__" key as data, not as a prototype', () => {
    const v = JSON.parse('{"a":[{"b":null},"s",1,true],"__proto__":{"polluted":1}}') as Record<string, unknown>;
    const c = cloneJson(v);
    expect(c).toEqual(v);
    expect(c.a).not.toBe(v.a);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['a', '__proto__']);
    expect((c as { polluted?: number }).polluted).toBeUndefined();
  });
});
