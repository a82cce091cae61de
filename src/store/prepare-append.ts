import { InvalidInputError } from '../events/errors.js';
import type { ExpectedVersion, NewEvent } from '../events/event.js';
import { type AppendLimits, checkStreamId, type PreparedEvent, prepareEvents } from '../events/prepare.js';
import type { StreamAppend } from './event-store.js';
import { checkExpectedVersionArgument } from './expected-version.js';

/** One stream's events, checked and serialized, with the version they expect. */
export interface PreparedAppend {
  streamId: string;
  events: PreparedEvent[];
  expectedVersion: ExpectedVersion;
}

/** Checks one stream's append (stream id, expected version, events) before a store touches its database. */
export function prepareAppend(
  append: { streamId: string; events: readonly NewEvent<string, unknown>[]; expectedVersion?: unknown },
  limits: AppendLimits,
  seenIds?: Set<string>,
  where = 'appendToStream',
): PreparedAppend {
  const streamId = checkStreamId(append?.streamId, `${where}, streamId`);
  return {
    streamId,
    expectedVersion: checkExpectedVersionArgument(
      append.expectedVersion === undefined ? 'any' : append.expectedVersion,
      `stream ${streamId}`,
    ),
    events: prepareEvents(streamId, append.events, limits, seenIds),
  };
}

/**
 * Checks the appends of one `appendToStreams` call: a non-empty array, each stream at most once, and each
 * event id at most once across all of them.
 */
export function prepareAppends(appends: readonly StreamAppend[], limits: AppendLimits): PreparedAppend[] {
  if (!Array.isArray(appends) || appends.length === 0) {
    throw new InvalidInputError('InvalidArgument', 'appendToStreams', 'needs a non-empty array of appends');
  }
  const seenIds = new Set<string>();
  const seenStreams = new Set<string>();
  return appends.map((a, i) => {
    const prepared = prepareAppend(a, limits, seenIds, `appends[${i}]`);
    if (seenStreams.has(prepared.streamId)) {
      throw new InvalidInputError(
        'InvalidArgument',
        `appends[${i}]`,
        `stream ${prepared.streamId} appears twice`,
      );
    }
    seenStreams.add(prepared.streamId);
    return prepared;
  });
}
