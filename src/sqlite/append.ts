import type Database from 'better-sqlite3';
import { InvalidInputError } from '../events/errors.js';
import type { PreparedEvent } from '../events/prepare.js';
import type { AppendResult } from '../store/event-store.js';
import { assertExpectedVersion } from '../store/expected-version.js';
import { resolveRetries, resolveRetry, type StoredIdentity } from '../store/idempotency.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { toSafeInteger } from '../store/safe-integer.js';

/**
 * The statements of an append, run inside a write transaction that the caller owns.
 * Positions are assigned here, under SQLite's single write lock, so position order is commit order.
 */
export class SqliteAppender {
  private readonly head: Database.Statement<[], bigint | null>;
  private readonly version: Database.Statement<[string], number | null>;
  private readonly storedById: Database.Statement<[string], StoredIdentity>;
  private readonly storedByIds: Database.Statement<[string], StoredIdentity>;
  private readonly insert: Database.Statement<
    [number, string, string, number, string, number, string, string, number]
  >;

  constructor(db: Database.Database) {
    this.head = db.prepare<[], bigint | null>('SELECT max(position) FROM events').pluck().safeIntegers(true);
    this.version = db
      .prepare<[string], number | null>('SELECT max(stream_version) FROM events WHERE stream_id = ?')
      .pluck();
    const identity = `SELECT id, stream_id AS streamId, stream_version AS streamVersion, position, type, data
      FROM events`;
    this.storedById = db.prepare(`${identity} WHERE id = ?`);
    this.storedByIds = db.prepare(`${identity} WHERE id IN (SELECT value FROM json_each(?))`);
    this.insert = db.prepare(`INSERT INTO events
      (position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  /** The last position in the log, read inside the transaction. */
  headPosition(): number {
    return toSafeInteger(this.head.get() ?? 0n, 'head position');
  }

  /**
   * Checks and writes one append (one or many streams) after `head`; returns the results and the new head.
   * Throws, having written nothing the caller will keep, when a check fails.
   */
  append(appends: readonly PreparedAppend[], head: number, recordedAt: number): [AppendResult[], number] {
    const retries = resolveRetries(
      appends.map((a) => this.findRetry(a.streamId, a.events)),
      appends.map((a) => a.streamId),
    );
    if (retries) return [retries, head];
    const results: AppendResult[] = [];
    let position = head;
    for (const { streamId, events, expectedVersion } of appends) {
      const actual = this.version.get(streamId) ?? 0;
      assertExpectedVersion(streamId, expectedVersion, actual);
      toSafeInteger(BigInt(actual) + BigInt(events.length), `stream ${streamId} version`);
      toSafeInteger(BigInt(position) + BigInt(events.length), 'position');
      let version = actual;
      for (const e of events) {
        position++;
        version++;
        this.insertEvent(position, e, streamId, version, recordedAt);
      }
      results.push({ streamId, streamVersion: version, position });
    }
    return [results, position];
  }

  private insertEvent(
    position: number,
    e: PreparedEvent,
    streamId: string,
    version: number,
    at: number,
  ): void {
    try {
      this.insert.run(position, e.id, streamId, version, e.type, e.schemaVersion, e.data, e.metadata, at);
    } catch (error) {
      if (
        (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
        String(error).includes('events.id')
      ) {
        throw new InvalidInputError(
          'DuplicateEventId',
          `stream ${JSON.stringify(streamId)}, event id ${e.id}`,
          'an event with this id is already stored',
        );
      }
      throw error;
    }
  }

  // Only the first id is looked up on the hot path: when it is new, the append is new, and a later id
  // that is not is caught by the unique index.
  private findRetry(streamId: string, events: PreparedEvent[]): AppendResult | undefined {
    const first = events[0];
    if (!first || !this.storedById.get(first.id)) return undefined;
    const stored = this.storedByIds.all(JSON.stringify(events.map((e) => e.id)));
    return resolveRetry(streamId, events, stored);
  }
}
