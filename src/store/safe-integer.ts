import { PositionOverflowError } from '../events/errors.js';

const max = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Turns a BIGINT from the database (a bigint, a decimal string or a number) into an exact JavaScript number,
 * or throws `PositionOverflow`: a position is never rounded or wrapped.
 */
export function toSafeInteger(value: bigint | string | number, what: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    throw new PositionOverflowError(what, BigInt(Math.trunc(value)));
  }
  // Up to 15 digits a decimal string is always exact as a number: the common case skips BigInt.
  if (typeof value === 'string' && value.length <= 15 && /^-?\d+$/.test(value)) return Number(value);
  const big = typeof value === 'bigint' ? value : BigInt(value);
  if (big > max || big < -max) throw new PositionOverflowError(what, big);
  return Number(big);
}
