import type { ExpectedVersion } from './event.js';

/** Every error Hindsight raises on purpose has one of these codes. */
export type ErrorCode =
  | 'WrongExpectedVersion'
  | 'InvalidStreamId'
  | 'InvalidEvent'
  | 'EventTooLarge'
  | 'DuplicateEventId'
  | 'PositionOverflow'
  | 'StoreClosed'
  | 'InvalidArgument'
  | 'IdempotencyKeyReused'
  | 'TooManyConflicts';

/**
 * The base of Hindsight's errors: `code` says what went wrong in a way code can switch on.
 *
 * @example
 * try { await store.appendToStream('a', events, { expectedVersion: 3 }); }
 * catch (e) { if (e instanceof HindsightError && e.code === 'WrongExpectedVersion') retry(); }
 */
export class HindsightError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = code;
    this.code = code;
  }
}

/** An append's expected version did not match the stream's actual version; nothing was stored. */
export class WrongExpectedVersionError extends HindsightError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      'WrongExpectedVersion',
      `stream ${JSON.stringify(streamId)}: expected version ${String(expected)}, actual version ${actual}`,
    );
  }
}

/** Input that cannot be stored: `where` names the stream, event or field at fault. */
export class InvalidInputError extends HindsightError {
  constructor(
    code: 'InvalidStreamId' | 'InvalidEvent' | 'EventTooLarge' | 'DuplicateEventId' | 'InvalidArgument',
    readonly where: string,
    readonly problem: string,
  ) {
    super(code, `${where}: ${problem}`);
  }
}

/** A position or version would pass 2^53 - 1, past which JavaScript numbers are inexact; nothing was stored. */
export class PositionOverflowError extends HindsightError {
  constructor(
    readonly what: string,
    readonly value: bigint,
  ) {
    super(
      'PositionOverflow',
      `${what} ${value} is past Number.MAX_SAFE_INTEGER; refusing to store or return it`,
    );
  }
}

/** The store was closed; no more appends or reads. */
export class StoreClosedError extends HindsightError {
  constructor() {
    super('StoreClosed', 'the event store is closed');
  }
}

/** True when `error` is a Hindsight error with the given code. */
export function isHindsightError<C extends ErrorCode>(
  error: unknown,
  code?: C,
): error is HindsightError & { code: C } {
  return error instanceof HindsightError && (code === undefined || error.code === code);
}

/** An idempotency key came back with a different command than the one it first carried; nothing was appended. */
export class IdempotencyKeyReusedError extends HindsightError {
  constructor(
    readonly streamId: string,
    readonly idempotencyKey: string,
  ) {
    super(
      'IdempotencyKeyReused',
      `stream ${JSON.stringify(streamId)}: idempotency key ${JSON.stringify(idempotencyKey)} was first used with a different command`,
    );
  }
}

/** A command lost the race for its stream more times than it was allowed to retry. */
export class TooManyConflictsError extends HindsightError {
  constructor(
    readonly streamId: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      'TooManyConflicts',
      `stream ${JSON.stringify(streamId)}: gave up after ${attempts} attempts, each beaten by a concurrent write`,
      options,
    );
  }
}
