import { InvalidInputError, WrongExpectedVersionError } from '../events/errors.js';
import type { ExpectedVersion } from '../events/event.js';

/** Refuses an expected version that is none of the four kinds. */
export function checkExpectedVersionArgument(expected: unknown, where: string): ExpectedVersion {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw new InvalidInputError(
    'InvalidArgument',
    `${where}, expectedVersion`,
    `must be 'any', 'no_stream', 'stream_exists' or a non-negative integer, got ${JSON.stringify(expected)}`,
  );
}

/** Throws `WrongExpectedVersion` unless a stream at `actual` satisfies `expected`. */
export function assertExpectedVersion(streamId: string, expected: ExpectedVersion, actual: number): void {
  if (satisfies(expected, actual)) return;
  throw new WrongExpectedVersionError(streamId, expected, actual);
}

function satisfies(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 0;
    case 'stream_exists':
      return actual > 0;
    default:
      return expected === actual;
  }
}
