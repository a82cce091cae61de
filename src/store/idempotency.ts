import { isDeepStrictEqual } from 'node:util';
import { InvalidInputError } from '../events/errors.js';
import type { PreparedEvent } from '../events/prepare.js';
import type { AppendResult } from './event-store.js';

/** What a store knows of an already stored event with a given id. */
export interface StoredIdentity {
  id: string;
  streamId: string;
  streamVersion: number;
  position: number;
  type: string;
  data: string;
}

/**
 * Decides what an append whose ids may already be stored means. `stored` holds the stored events that share
 * an id with `events`, in any order. None stored: a new append (undefined). All stored, in this stream, in this
 * order, with the same type and data: a retry, answered with the first append's result. Anything else is refused.
 */
export function resolveRetry(
  streamId: string,
  events: readonly PreparedEvent[],
  stored: readonly StoredIdentity[],
): AppendResult | undefined {
  if (stored.length === 0) return undefined;
  const byId = new Map(stored.map((s) => [s.id, s]));
  let previous: StoredIdentity | undefined;
  for (const event of events) {
    const match = byId.get(event.id);
    const problem = mismatch(streamId, event, match, previous);
    if (problem) {
      throw new InvalidInputError(
        'DuplicateEventId',
        `stream ${JSON.stringify(streamId)}, event id ${event.id}`,
        problem,
      );
    }
    previous = match;
  }
  const last = previous as StoredIdentity;
  return { streamId, streamVersion: last.streamVersion, position: last.position };
}

/**
 * Decides a multi-stream append from what `resolveRetry` said of each of its streams. Every stream a retry:
 * the first append's results. None: a new append (undefined). Some but not all: refused, because part of it
 * was stored by an append that was not this one.
 */
export function resolveRetries(
  retries: readonly (AppendResult | undefined)[],
  streamIds: readonly string[],
): AppendResult[] | undefined {
  const stored = retries.filter((r) => r !== undefined);
  if (stored.length === 0) return undefined;
  if (stored.length === retries.length) return stored;
  const repeated = streamIds.filter((_, i) => retries[i] !== undefined);
  throw new InvalidInputError(
    'DuplicateEventId',
    `streams ${repeated.map((id) => JSON.stringify(id)).join(', ')}`,
    'these events are already stored, but the other streams of this append are new: not a retry of one append',
  );
}

function mismatch(
  streamId: string,
  event: PreparedEvent,
  stored: StoredIdentity | undefined,
  previous: StoredIdentity | undefined,
): string | undefined {
  if (!stored)
    return 'some events of this append are already stored and this one is not: not a retry of one append';
  if (stored.streamId !== streamId) return `already stored in stream ${JSON.stringify(stored.streamId)}`;
  if (stored.type !== event.type) return `already stored with type ${stored.type}, not ${event.type}`;
  if (stored.data !== event.data && !isDeepStrictEqual(JSON.parse(stored.data), JSON.parse(event.data))) {
    return 'already stored with different data';
  }
  if (previous && stored.streamVersion !== previous.streamVersion + 1) {
    return 'already stored, but not in the same append as the events before it';
  }
  return undefined;
}
