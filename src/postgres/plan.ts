import { InvalidInputError, PositionOverflowError } from '../events/errors.js';
import type { AppendResult } from '../store/event-store.js';
import { assertExpectedVersion } from '../store/expected-version.js';
import { resolveRetries, resolveRetry, type StoredIdentity } from '../store/idempotency.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { toSafeInteger } from '../store/safe-integer.js';

/** What an append's transaction read under its stream locks. */
export interface StreamState {
  /** Each stream's version; absent streams are missing. */
  versions: ReadonlyMap<string, number>;
  /** The stored events sharing an id with the append. */
  stored: readonly StoredIdentity[];
}

/** The rows to insert, column by column, as the insert statement's arrays. */
export interface InsertRows {
  ids: string[];
  streamIds: string[];
  versions: number[];
  types: string[];
  schemaVersions: number[];
  data: string[];
  metadata: string[];
}

/** An append decided: either a retry answered from what is stored, or rows to write. */
export type AppendPlan =
  | { kind: 'retry'; results: AppendResult[] }
  | {
      kind: 'write';
      rows: InsertRows;
      streamIds: string[];
      /** The results, given the last position taken; throws `PositionOverflow` past 2^53 - 1. */
      results(lastPosition: string): AppendResult[];
    };

/**
 * Decides an append from what its transaction read, with the same rules as the SQLite store: idempotency
 * first (a retry answers with the first append's result, whatever the versions now), then each stream's
 * expected version. Throws the caller's error (conflict, duplicate id, overflow) and writes nothing.
 */
export function planAppend(appends: readonly PreparedAppend[], state: StreamState): AppendPlan {
  const retries = resolveRetries(
    appends.map((a) => findRetry(a, state.stored)),
    appends.map((a) => a.streamId),
  );
  if (retries) return { kind: 'retry', results: retries };

  const rows: InsertRows = {
    ids: [],
    streamIds: [],
    versions: [],
    types: [],
    schemaVersions: [],
    data: [],
    metadata: [],
  };
  const ends: { streamId: string; streamVersion: number; offset: number }[] = [];
  for (const { streamId, events, expectedVersion } of appends) {
    const actual = state.versions.get(streamId) ?? 0;
    assertExpectedVersion(streamId, expectedVersion, actual);
    toSafeInteger(BigInt(actual) + BigInt(events.length), `stream ${streamId} version`);
    let version = actual;
    for (const e of events) {
      rows.ids.push(e.id);
      rows.streamIds.push(streamId);
      rows.versions.push(++version);
      rows.types.push(e.type);
      rows.schemaVersions.push(e.schemaVersion);
      rows.data.push(e.data);
      rows.metadata.push(e.metadata);
    }
    ends.push({ streamId, streamVersion: version, offset: rows.ids.length });
  }
  const total = rows.ids.length;
  return {
    kind: 'write',
    rows,
    streamIds: ends.map((e) => e.streamId),
    results(lastPosition) {
      const last = BigInt(lastPosition);
      if (last > BigInt(Number.MAX_SAFE_INTEGER)) throw new PositionOverflowError('position', last);
      const first = Number(last) - total;
      return ends.map((e) => ({
        streamId: e.streamId,
        streamVersion: e.streamVersion,
        position: first + e.offset,
      }));
    },
  };
}

// As in the SQLite store, the first id decides: stored, the append may be a retry; new, it is a new append,
// and any later id already stored is refused by name (there, the unique index names it).
function findRetry(append: PreparedAppend, stored: readonly StoredIdentity[]): AppendResult | undefined {
  const ids = new Set(append.events.map((e) => e.id));
  const own = stored.filter((s) => ids.has(s.id));
  const first = append.events[0];
  if (first && own.some((s) => s.id === first.id)) return resolveRetry(append.streamId, append.events, own);
  const taken = append.events.find((e) => own.some((s) => s.id === e.id));
  if (taken) throw duplicateId(append.streamId, taken.id);
  return undefined;
}

/** The error for an id that is already stored, worded as the SQLite store words it. */
export function duplicateId(streamId: string, id: string): InvalidInputError {
  return new InvalidInputError(
    'DuplicateEventId',
    `stream ${JSON.stringify(streamId)}, event id ${id}`,
    'an event with this id is already stored',
  );
}
