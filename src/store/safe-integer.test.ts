import { describe, expect, it } from 'vitest';
import { toSafeInteger } from './safe-integer.js';

describe('toSafeInteger', () => {
  it('returns exact numbers from strings, bigints and numbers up to 2^53 - 1', () => {
    expect(toSafeInteger('0', 'p')).toBe(0);
    expect(toSafeInteger('123456789012345', 'p')).toBe(123456789012345);
    expect(toSafeInteger('9007199254740991', 'p')).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeInteger(9007199254740991n, 'p')).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeInteger(42, 'p')).toBe(42);
  });

  it('refuses anything past 2^53 - 1 with PositionOverflow instead of rounding', () => {
    for (const value of ['9007199254740992', '99999999999999999999', 9007199254740993n, 2 ** 60]) {
      expect(() => toSafeInteger(value, 'position')).toThrow(
        expect.objectContaining({ code: 'PositionOverflow' }),
      );
    }
  });
});
