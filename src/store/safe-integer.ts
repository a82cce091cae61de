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

/**
 * A number a driver or `JSON.parse` produced from a BIGINT: past 2^53 - 1 it is no longer the stored value (and
 * no longer a safe integer), so it is refused with `PositionOverflow` rather than passed on rounded.
 */
export function exactInteger(value: number, what: string): number {
  return Number.isSafeInteger(value) ? value : toSafeInteger(value, what);
}
