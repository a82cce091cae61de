import type pg from 'pg';
import type { AppendResult } from '../store/event-store.js';
import type { StoredIdentity } from '../store/idempotency.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { toSafeInteger } from '../store/safe-integer.js';
import { conflictOf, overflowOf } from './database-errors.js';
import { streamLockKey } from './locks.js';
import { duplicateId, type InsertRows, planAppend, type StreamState } from './plan.js';
import { statement, unpreparedStatement } from './statement.js';

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
  streamId: string,
  version: string | null,
  position: string | null,
  type: string | null,
  data: string | null,
];

// Appends to one stream wait for each other, so a stream-version conflict means a writer that bypassed the
// store; retrying reads the version it wrote. The bound is there so that a bug can never spin.
const maxAttempts = 3;

/**
 * The statements of an append, in one transaction on one pooled connection: lock the streams; read their
 * versions and any stored ids; decide; take positions and insert in one statement; commit.
 */
export class PostgresAppender {
  private readonly readState: string;
  private readonly insert: string;
  private readonly version: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    s: string,
    private readonly hooks: PostgresStoreHooks = {},
  ) {
    this.readState = `
      SELECT NULL, w.stream_id,
        (SELECT max(e.stream_version) FROM ${s}.events e WHERE e.stream_id = w.stream_id)::text, NULL, NULL, NULL
      FROM unnest($1::text[]) AS w(stream_id)
      UNION ALL
      SELECT id, stream_id, stream_version::text, position::text, type, data::text
      FROM ${s}.events WHERE id = ANY($2::text[])`;
    this.insert = `
      WITH taken AS MATERIALIZED (SELECT * FROM ${s}.take_positions(cardinality($1::text[]))),
      stored AS (
        INSERT INTO ${s}.events (position, transaction_id, recorded_at,
          id, stream_id, stream_version, type, schema_version, data, metadata)
        SELECT taken.last_position - cardinality($1::text[]) + e.n, taken.transaction_id, taken.taken_at,
          e.id, e.stream_id, e.stream_version, e.type, e.schema_version, e.data::json, e.metadata::json
        FROM taken, unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int4[], $6::text[], $7::text[])
          WITH ORDINALITY AS e(id, stream_id, stream_version, type, schema_version, data, metadata, n)
      )
      SELECT last_position::text FROM taken`;
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

  // With a pipelining connection (the store's own pool), BEGIN, the locks and the read go out together, and so do
  // the insert and COMMIT: two round trips per append. Otherwise each waits for the one before it.
  private async attempt(appends: readonly PreparedAppend[], announce: boolean): Promise<AppendResult[]> {
    const client = await this.pool.connect();
    const pipelined = (client as { pipeline?: boolean }).pipeline === true;
    let broken: Error | undefined;
    try {
      const locked = client.query(this.lockStatement(appends, announce));
      if (!pipelined) await locked;
      const state = await both(locked, this.read(client, appends));
      const plan = planAppend(appends, state);
      if (plan.kind === 'retry') {
        await client.query('ROLLBACK');
        return plan.results;
      }
      const holdOpen = this.hooks.beforeCommit !== undefined;
      const written = this.write(client, plan.rows).catch((error: Error) => {
        // The statement holds a session lock for a moment; a connection that failed inside it is not reused.
        broken = error;
        throw error;
      });
      if (pipelined && !holdOpen) {
        // A failed insert aborts the transaction, and PostgreSQL answers the COMMIT behind it with a rollback.
        const last = await both(client.query('COMMIT'), written);
        return plan.results(last);
      }
      const results = plan.results(await written);
      await this.hooks.beforeCommit?.(plan.streamIds);
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

  // One global order (by key), so two multi-stream appends never wait for each other in a cycle. The keys are
  // integers computed here, so they are safe to write into the statement.
  private lockStatement(appends: readonly PreparedAppend[], announce: boolean): string {
    const keys = [...new Set(appends.map((a) => streamLockKey(this.schema, a.streamId)))];
    keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const quiet = announce ? '' : "SET LOCAL hindsight.announce = 'off'; ";
    return `BEGIN; ${quiet}${keys.map((k) => `SELECT pg_advisory_xact_lock(${k});`).join(' ')}`;
  }

  private async read(client: pg.PoolClient, appends: readonly PreparedAppend[]): Promise<StreamState> {
    const streamIds = appends.map((a) => a.streamId);
    const ids = appends.flatMap((a) => a.events.map((e) => e.id));
    const result = await client.query<StateRow>(unpreparedStatement(this.readState, [streamIds, ids]));
    const versions = new Map<string, number>();
    const stored: StoredIdentity[] = [];
    for (const [id, streamId, version, position, type, data] of result.rows) {
      if (id === null) {
        if (version !== null) versions.set(streamId, toSafeInteger(version, `stream ${streamId} version`));
        continue;
      }
      stored.push({
        id,
        streamId,
        streamVersion: toSafeInteger(version ?? '0', `stream ${streamId} version`),
        position: toSafeInteger(position ?? '0', 'position'),
        type: type ?? '',
        data: data ?? '',
      });
    }
    return { versions, stored };
  }

  private async write(client: pg.PoolClient, rows: InsertRows): Promise<string> {
    const { ids, streamIds, versions, types, schemaVersions, data, metadata } = rows;
    const values = [ids, streamIds, versions, types, schemaVersions, data, metadata];
    const result = await client.query<[string]>(statement(this.insert, values));
    return (result.rows[0] as [string])[0];
  }
}

/** The value of `second` once both settle; the first failure otherwise (the other is then handled). */
async function both<T>(first: Promise<unknown>, second: Promise<T>): Promise<T> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return b.value;
}
