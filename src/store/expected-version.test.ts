import { describe, expect, it } from 'vitest';
import { InvalidInputError, WrongExpectedVersionError } from '../events/errors.js';
import type { ExpectedVersion } from '../events/event.js';
import { assertExpectedVersion, checkExpectedVersionArgument } from './expected-version.js';

describe('checkExpectedVersionArgument', () => {
  it('accepts the three words and non-negative safe integers', () => {
    for (const v of ['any', 'no_stream', 'stream_exists', 0, 1, Number.MAX_SAFE_INTEGER] as const) {
      expect(checkExpectedVersionArgument(v, 'stream s')).toBe(v);
    }
  });

  it('refuses anything else with InvalidArgument naming where', () => {
    for (const v of [-1, 1.5, Number.NaN, 2 ** 53, '1', 'latest', null, undefined, {}]) {
      const action = () => checkExpectedVersionArgument(v, 'stream s');
      expect(action).toThrow(InvalidInputError);
      expect(action).toThrow(/^stream s, expectedVersion: must be/);
    }
  });
});

describe('assertExpectedVersion', () => {
  it('passes exactly when the actual version satisfies the expected one', () => {
    const table: [ExpectedVersion, number, boolean][] = [
      ['any', 0, true],
      ['any', 5, true],
      ['no_stream', 0, true],
      ['no_stream', 1, false],
      ['stream_exists', 0, false],
      ['stream_exists', 3, true],
      [0, 0, true],
      [0, 1, false],
      [3, 3, true],
      [3, 2, false],
      [3, 4, false],
    ];
    for (const [expected, actual, passes] of table) {
      const action = () => assertExpectedVersion('s', expected, actual);
      if (passes) expect(action).not.toThrow();
      else expect(action).toThrow(WrongExpectedVersionError);
    }
  });

  it('names the stream, the expected and the actual version', () => {
    try {
      assertExpectedVersion('account-1', 'no_stream', 4);
      expect.fail('expected a conflict');
    } catch (error) {
      expect(error).toMatchObject({
        code: 'WrongExpectedVersion',
        streamId: 'account-1',
        expected: 'no_stream',
        actual: 4,
      });
      expect((error as Error).message).toBe(
        'stream "account-1": expected version no_stream, actual version 4',
      );
    }
  });
});
