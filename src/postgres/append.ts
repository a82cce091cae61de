import type pg from 'pg';
import type { AppendResult } from '../store/event-store.js';
import type { StoredIdentity } from '../store/idempotency.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { toSafeInteger } from '../store/safe-integer.js';
import { conflictOf, overflowOf } from './database-errors.js';
import { streamLockKey } from './locks.js';
import { duplicateId, planAppend } from './plan.js';
import { queryInOneWrite, statement } from './statement.js';

/**
 * Test-only hooks into an append's transaction.
 *
 * @example
 * const store = await createPostgresEventStore({ connectionString, hooks: { beforeCommit: () => sleep(500) } });
 */
export interface PostgresStoreHooks {
  /**
   * For tests: called inside an append's transaction after its positions are taken and its events written,
   * just before COMMIT. Delaying it holds the transaction open (readers must wait for it); throwing rolls it back.
   */
  beforeCommit?(streamIds: readonly string[]): Promise<void>;
}

type StateRow = [
  id: string | null,
  streamId: string | null,
  version: string | null,
  position: string | null,
  type: string | null,
  data: string | null,
];

// Appends to one stream wait for each other, so a stream-version conflict means a writer that bypassed the
// store; retrying reads the version it wrote. The bound is there so that a bug can never spin.
const maxAttempts = 3;

const expectedCodes = { any: -1, stream_exists: -2, no_stream: 0 } as const;

/**
 * An append is one statement, `append_events` (schema.ts): it locks the streams, reads their versions and any
 * stored ids, and writes only when the rules of plan.ts would; it runs as its own transaction, so the whole
 * append is one round trip and no lock is held while the client decides. What it read comes back either way,
 * and plan.ts turns it into the result or the caller's error.
 */
export class PostgresAppender {
  private readonly appendText: string;
  private readonly version: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    s: string,
    private readonly hooks: PostgresStoreHooks = {},
  ) {
    this.appendText = `SELECT * FROM ${s}.append_events($1::bigint[], $2::text[], $3::bigint[], $4::int4[],
      $5::text[], $6::int4[], $7::int4[], $8::text[], $9::int4[], $10::text[], $11::text[], $12::boolean)`;
    this.version = `SELECT max(stream_version)::text FROM ${s}.events WHERE stream_id = $1`;
  }

  /**
   * Appends to one or many streams, all or nothing. With `announce` false the append sends no NOTIFY from
   * inside its transaction (the caller sends one after COMMIT; see notifications.ts).
   */
  async append(appends: readonly PreparedAppend[], announce = true): Promise<AppendResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(appends, announce);
      } catch (error) {
        const overflow = overflowOf(error);
        if (overflow) throw overflow;
        const conflict = conflictOf(error, appends);
        if (conflict?.kind === 'id') throw duplicateId(conflict.streamId, conflict.id);
        if (conflict?.kind !== 'streamVersion' || attempt >= maxAttempts) throw error;
      }
    }
  }

  /** A stream's version: its number of events, 0 when it does not exist. */
  async streamVersion(streamId: string): Promise<number> {
    const result = await this.pool.query<[string | null]>(statement(this.version, [streamId]));
    const version = result.rows[0]?.[0];
    return version == null ? 0 : toSafeInteger(version, `stream ${streamId} version`);
  }

  private async attempt(appends: readonly PreparedAppend[], announce: boolean): Promise<AppendResult[]> {
    const query = statement(this.appendText, this.values(appends, announce));
    if (this.hooks.beforeCommit === undefined) {
      // A failed statement has rolled back its own transaction, and its connection is not reused (take_positions
      // holds a session lock for a moment).
      const result = await queryInOneWrite<StateRow>(this.pool, query);
      return decide(appends, result.rows);
    }
    // Tests hold the transaction open after the write: the same statement inside BEGIN ... COMMIT.
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const written = await client.query<StateRow>(query).catch((error: Error) => {
        // take_positions holds a session lock for a moment; a connection that failed inside it is not reused.
        broken = error;
        throw error;
      });
      const results = decide(appends, written.rows);
      await this.hooks.beforeCommit(appends.map((a) => a.streamId));
      await client.query('COMMIT');
      return results;
    } catch (error) {
      if (!broken) {
        await client.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  // One global order of stream locks (by key), so two multi-stream appends never wait for each other in a cycle.
  private values(appends: readonly PreparedAppend[], announce: boolean): unknown[] {
    const keys = [...new Set(appends.map((a) => streamLockKey(this.schema, a.streamId)))];
    keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const streamIds: string[] = [];
    const expected: number[] = [];
    const counts: number[] = [];
    const ids: string[] = [];
    const indexes: number[] = [];
    const offsets: number[] = [];
    const types: string[] = [];
    const schemaVersions: number[] = [];
    const data: string[] = [];
    const metadata: string[] = [];
    appends.forEach(({ streamId, events, expectedVersion }, i) => {
      streamIds.push(streamId);
      expected.push(typeof expectedVersion === 'number' ? expectedVersion : expectedCodes[expectedVersion]);
      counts.push(events.length);
      events.forEach((e, j) => {
        ids.push(e.id);
        indexes.push(i + 1);
        offsets.push(j + 1);
        types.push(e.type);
        schemaVersions.push(e.schemaVersion);
        data.push(e.data);
        metadata.push(e.metadata);
      });
    });
    return [
      keys,
      streamIds,
      expected,
      counts,
      ids,
      indexes,
      offsets,
      types,
      schemaVersions,
      data,
      metadata,
      announce,
    ];
  }
}

/**
 * The append's outcome from the rows `append_events` returned: the streams' versions and any stored events
 * sharing an id, and, when it wrote, the last position it took. plan.ts decides from the same state, so it
 * agrees with the statement on whether to write.
 */
function decide(appends: readonly PreparedAppend[], rows: readonly StateRow[]): AppendResult[] {
  const versions = new Map<string, number>();
  const stored: StoredIdentity[] = [];
  let lastPosition: string | undefined;
  for (const [id, streamId, version, position, type, data] of rows) {
    if (streamId === null) lastPosition = position ?? undefined;
    else if (id === null) versions.set(streamId, toSafeInteger(version ?? '0', `stream ${streamId} version`));
    else {
      stored.push({
        id,
        streamId,
        streamVersion: toSafeInteger(version ?? '0', `stream ${streamId} version`),
        position: toSafeInteger(position ?? '0', 'position'),
        type: type ?? '',
        data: data ?? '',
      });
    }
  }
  const plan = planAppend(appends, { versions, stored });
  if (plan.kind === 'write' && lastPosition !== undefined) return plan.results(lastPosition);
  if (plan.kind === 'retry' && lastPosition === undefined) return plan.results;
  throw new Error(`append_events and planAppend disagree on whether to write (${plan.kind})`);
}
