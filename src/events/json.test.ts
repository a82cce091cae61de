import { describe, expect, it } from 'vitest';
import { findNonJson } from './json.js';

describe('findNonJson', () => {
  it('accepts what JSON carries exactly, including shared (not cyclic) references and absent properties', () => {
    const shared = { x: 1 };
    const bare = Object.assign(Object.create(null) as object, { k: 'v' });
    for (const value of [
      null,
      0,
      -1.5,
      '',
      'é😀\u0000',
      true,
      [],
      {},
      [shared, shared],
      { a: shared, b: shared },
      bare,
    ]) {
      expect(findNonJson(value, 'data')).toBeUndefined();
    }
    expect(findNonJson({ gone: undefined, kept: 1 }, 'data')).toBeUndefined();
  });

  it('names the path and the kind of each value JSON would change or drop', () => {
    const cycle: { self?: unknown } = {};
    cycle.self = [cycle];
    const cases: [unknown, RegExp][] = [
      [{ a: { f: () => 1 } }, /^data\.a\.f: a function/],
      [{ n: 10n }, /^data\.n: BigInt 10n/],
      [[1, Number.NaN], /^data\[1\]: NaN is not a finite number/],
      [{ i: Number.NEGATIVE_INFINITY }, /^data\.i: -Infinity/],
      [{ s: Symbol('s') }, /^data\.s: a symbol/],
      [[undefined], /^data\[0\]: undefined/],
      [undefined, /^data: undefined/],
      [cycle, /^data\.self\[0\]: a cycle/],
      [{ at: new Date(0) }, /^data\.at: a Date is not a plain object/],
      [{ m: new Map() }, /^data\.m: a Map/],
      [{ u: new Uint8Array(1) }, /^data\.u: a Uint8Array/],
    ];
    for (const [value, problem] of cases) expect(findNonJson(value, 'data')).toMatch(problem);
  });

  it('refuses nesting deeper than maxJsonDepth instead of exhausting the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findNonJson(deep, 'data')).toMatch(/nested deeper than 256 levels$/);
    let fine: unknown = 'leaf';
    for (let i = 0; i < 200; i++) fine = { next: fine };
    expect(findNonJson(fine, 'data')).toBeUndefined();
  });
});
