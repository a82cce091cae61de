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
  | 'TooManyConflicts'
  | 'UpcastFailed'
  | 'NotCaughtUp'
  | 'SagaExists'
  | 'SagaNotFound'
  | 'SagaRequestRefused';

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

/**
 * A path into an event's data: property names and array indexes, outermost first.
 *
 * @example
 * const path: FieldPath = ['lines', 0, 'sku']; // data.lines[0].sku
 */
export type FieldPath = readonly (string | number)[];

/**
 * What a schema found wrong with one event of an append: which event, and each problem with its field.
 *
 * @example
 * for (const { path, message } of error.details?.issues ?? []) console.log(path.join('.'), message);
 */
export interface InvalidEventDetails {
  streamId: string;
  /** The event's index in the append's events. */
  index: number;
  type: string;
  /** Every problem found, the first one being the error's `problem`. */
  issues: readonly { path: FieldPath; message: string }[];
}

/**
 * Input that cannot be stored: `where` names the stream, event or field at fault. When a schema refused an
 * event's data, `details` says which event and lists every problem with its field path.
 *
 * @example
 * catch (e) { if (e instanceof InvalidInputError && e.details) console.log(e.details.issues[0]?.path); }
 */
export class InvalidInputError extends HindsightError {
  constructor(
    code: 'InvalidStreamId' | 'InvalidEvent' | 'EventTooLarge' | 'DuplicateEventId' | 'InvalidArgument',
    readonly where: string,
    readonly problem: string,
    readonly details?: InvalidEventDetails,
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

/**
 * Where a stored event sits in the log: enough to find it and to name it in an error.
 *
 * @example
 * const { position, type, schemaVersion } = upcastError.event;
 */
export interface StoredEventAddress {
  id: string;
  streamId: string;
  streamVersion: number;
  position: number;
  type: string;
  schemaVersion: number;
}

/**
 * A stored event could not be brought to its type's current shape (unknown type, a version newer than the
 * registry knows, data its schema refuses, or an upcaster that threw). The stored event is left as it is.
 *
 * @example
 * catch (e) { if (e instanceof UpcastError) console.error(`fix event ${e.event.id}: ${e.problem}`); }
 */
export class UpcastError extends HindsightError {
  constructor(
    readonly event: StoredEventAddress,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      'UpcastFailed',
      `event at position ${event.position} (stream ${JSON.stringify(event.streamId)}, version ${event.streamVersion}, ${event.type} v${event.schemaVersion}): ${problem}`,
      options,
    );
  }
}
