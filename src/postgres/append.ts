import type pg from 'pg';
import type { AppendResult } from '../store/event-store.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { toSafeInteger } from '../store/safe-integer.js';
import {
  type BatchMember,
  batchValues,
  decideBatch,
  EventColumns,
  expectedCode,
  lockKeys,
  type MemberOutcome,
  readState,
  type StateRow,
} from './append-batch.js';
import { conflictOf, overflowOf } from './database-errors.js';
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

// Appends to one stream wait for each other, so a stream-version conflict means a writer that bypassed the
// store; retrying reads the version it wrote. The bound is there so that a bug can never spin.
const maxAttempts = 3;

/**
 * An append is one statement, `append_events` (schema.ts): it locks the streams, reads their versions and any
 * stored ids, and writes only when the rules of plan.ts would; it runs as its own transaction, so the whole
 * append is one round trip and no lock is held while the client decides. What it read comes back either way,
 * and plan.ts turns it into the result or the caller's error.
 */
export class PostgresAppender {
  private readonly appendText: string;
  private readonly batchText: string;
  private readonly version: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    s: string,
    private readonly hooks: PostgresStoreHooks = {},
  ) {
    this.appendText = `SELECT * FROM ${s}.append_events($1::bigint[], $2::text[], $3::bigint[], $4::int4[],
      $5::text[], $6::int4[], $7::int4[], $8::text[], $9::int4[], $10::text[], $11::text[], $12::boolean)`;
    this.batchText = `SELECT * FROM ${s}.append_batch($1::bigint[], $2::text[], $3::int4[], $4::int4[],
      $5::bigint[], $6::int4[], $7::text[], $8::int4[], $9::int4[], $10::text[], $11::int4[], $12::text[],
      $13::text[], $14::boolean)`;
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

  /**
   * Appends many independent members in one transaction (group commit): each member is checked and written, or
   * refused, on its own, and all that write share one COMMIT. A statement that fails as a whole (a concurrent
   * append in another process took an id, a lost connection) fails every member with its error; the caller
   * then tries them one by one.
   */
  async appendBatch(members: readonly BatchMember[], announce: boolean): Promise<MemberOutcome[]> {
    const query = statement(this.batchText, batchValues(this.schema, members, announce));
    return this.run(query, members.flat(), (rows) => decideBatch(members, rows));
  }

  private attempt(appends: readonly PreparedAppend[], announce: boolean): Promise<AppendResult[]> {
    const query = statement(this.appendText, this.values(appends, announce));
    return this.run(query, appends, (rows) => decide(appends, rows));
  }

  /** Runs an append statement as its own transaction, or, with the test hook, inside BEGIN ... COMMIT. */
  private async run<T>(
    query: pg.QueryArrayConfig,
    appends: readonly PreparedAppend[],
    outcome: (rows: readonly StateRow[]) => T,
  ): Promise<T> {
    if (this.hooks.beforeCommit === undefined) {
      // A failed statement has rolled back its own transaction, and its connection is not reused (take_positions
      // holds a session lock for a moment).
      const result = await queryInOneWrite<StateRow>(this.pool, query);
      return outcome(result.rows);
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
      const results = outcome(written.rows);
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

  private values(appends: readonly PreparedAppend[], announce: boolean): unknown[] {
    const events = new EventColumns();
    const streamIds = appends.map((a, i) => {
      events.add(a.events, i + 1);
      return a.streamId;
    });
    return [
      lockKeys(this.schema, streamIds),
      streamIds,
      appends.map((a) => expectedCode(a.expectedVersion)),
      appends.map((a) => a.events.length),
      ...events.values(),
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
  const { versions, stored, written } = readState(rows);
  const plan = planAppend(appends, { versions, stored });
  if (plan.kind === 'write' && written !== undefined) return plan.results(written.lastPosition);
  if (plan.kind === 'retry' && written === undefined) return plan.results;
  throw new Error(`append_events and planAppend disagree on whether to write (${plan.kind})`);
}
