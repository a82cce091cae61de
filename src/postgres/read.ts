import type pg from 'pg';
import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';
import type { CheckedBound, CheckedReadAll, CheckedReadStream } from '../store/read-options.js';
import { inBatches } from '../store/read-options.js';
import { toSafeInteger } from '../store/safe-integer.js';
import { queryInOneWrite, statement } from './statement.js';

type Row = [string, string, string, string, string, string, string, string, string];

// Named apart from the columns they come from: an ORDER BY name would otherwise sort the text, not the number.
// A stream's own read leaves out its stream id (the caller gave it): one string fewer to decode per event.
const columnsOf = (
  streamId: string,
) => `position::text AS p, id, ${streamId}, stream_version::text AS v, type,
  schema_version::text AS sv, data::text AS d, metadata::text AS m,
  round(date_part('epoch', recorded_at) * 1000)::bigint::text AS t`;
const columns = columnsOf('stream_id');
const streamColumns = columnsOf('NULL::text');

const unbounded = Number.MAX_SAFE_INTEGER;

// The largest xid8: a frontier that filters nothing, for reads that stay at or below a head already reported.
const noFrontier = '18446744073709551615';

function toEvent(row: Row, streamId = row[2]): RecordedEvent {
  return {
    position: toSafeInteger(row[0], 'position'),
    id: row[1],
    streamId,
    streamVersion: toSafeInteger(row[3], 'stream version'),
    type: row[4],
    schemaVersion: Number(row[5]),
    data: JSON.parse(row[6]) as JsonValue,
    metadata: JSON.parse(row[7]) as EventMetadata,
    recordedAt: new Date(Number(row[8])),
  };
}

/** SQL conditions for an `asOf` bound, numbering their parameters after those already in `params`. */
function bounds(bound: CheckedBound, params: unknown[]): string[] {
  const filters: string[] = [];
  if (bound.maxPosition !== unbounded) {
    params.push(bound.maxPosition);
    filters.push(`position <= $${params.length}`);
  }
  if (bound.maxTime !== unbounded) {
    params.push(new Date(bound.maxTime).toISOString());
    filters.push(`recorded_at <= $${params.length}::timestamptz`);
  }
  return filters;
}

/**
 * The reads of the PostgreSQL store: keyset pages of `batchSize` rows, one query per page. Reads of the global
 * log first ask for the read frontier (the oldest running appender of this schema), then, in a later statement,
 * read only rows of transactions older than it: positions are taken in transaction id order, so nothing can
 * still commit below those rows.
 */
export class PostgresReader {
  private readonly head: string;
  private readonly headInOne: string;
  private readonly frontier: string;
  private readonly byId: string;
  // The highest head this store has reported. Every position up to it is final (nothing can still commit at or
  // below it, docs/postgres.md), so a read bounded by it needs no frontier: one round trip instead of two.
  private finalUpTo = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
    private readonly open: () => void,
  ) {
    this.frontier = `SELECT ${s}.read_frontier()::text`;
    this.headInOne = `SELECT ${s}.read_head()::text`;
    this.head = `SELECT coalesce(max(position), 0)::text FROM (
      SELECT position FROM ${s}.events WHERE transaction_id < $1::xid8 ORDER BY position DESC LIMIT 1) AS last`;
    this.byId = `SELECT ${columns} FROM ${s}.events WHERE id = $1`;
  }

  readStream(streamId: string, o: CheckedReadStream): AsyncGenerator<RecordedEvent> {
    const params: unknown[] = [streamId, 0];
    const filters = ['stream_id = $1', o.backwards ? 'stream_version <= $2' : 'stream_version >= $2'];
    if (!o.backwards && o.maxVersion !== unbounded) {
      params.push(o.maxVersion);
      filters.push(`stream_version <= $${params.length}`);
    }
    filters.push(...bounds(o, params));
    const text = `SELECT ${streamColumns} FROM ${this.s}.events WHERE ${filters.join(' AND ')}
      ORDER BY stream_version ${o.backwards ? 'DESC' : ''} LIMIT $${params.length + 1}`;
    let next = o.backwards ? Math.min(o.from ?? o.maxVersion, o.maxVersion) : (o.from ?? 1);
    return inBatches(
      async (count) => {
        params[1] = next;
        const events = await this.rows(text, [...params, count], streamId);
        const last = events[events.length - 1];
        if (last) next = o.backwards ? last.streamVersion - 1 : last.streamVersion + 1;
        return events;
      },
      o.limit,
      o.batchSize,
      true,
      o.maxBatchSize,
    );
  }

  readAll(o: CheckedReadAll): AsyncGenerator<RecordedEvent> {
    const params: unknown[] = [o.from, '0'];
    const filters = ['position >= $1', 'transaction_id < $2::xid8', ...bounds(o, params)];
    if (o.streamPrefix !== undefined) {
      params.push(o.streamPrefix);
      // starts_with has no wildcards: a % or _ in a prefix means itself.
      filters.push(`starts_with(stream_id, $${params.length})`);
    }
    if (o.types !== undefined) {
      params.push(o.types);
      filters.push(`type = ANY($${params.length}::text[])`);
    }
    const text = `SELECT ${columns} FROM ${this.s}.events WHERE ${filters.join(' AND ')}
      ORDER BY position LIMIT $${params.length + 1}`;
    return inBatches(
      async (count) => {
        params[1] = o.maxPosition <= this.finalUpTo ? noFrontier : await this.readFrontier();
        const events = await this.rows(text, [...params, count]);
        const last = events[events.length - 1];
        if (last) params[0] = last.position + 1;
        return events;
      },
      o.limit,
      o.batchSize,
      true,
      o.maxBatchSize,
    );
  }

  /** The last position a reader can see: below it, nothing is still in flight. */
  async headPosition(): Promise<number> {
    this.open();
    let [head] = (await queryInOneWrite<[string | null]>(this.pool, statement(this.headInOne))).rows[0] ?? [
      null,
    ];
    if (head === null) {
      // Not READ COMMITTED (a pool configured so): the frontier and the read as two calls.
      const frontier = await this.readFrontier();
      [head] = (await queryInOneWrite<[string]>(this.pool, statement(this.head, [frontier]))).rows[0] as [
        string,
      ];
    }
    const position = toSafeInteger(head, 'head position');
    if (position > this.finalUpTo) this.finalUpTo = position;
    return position;
  }

  async readEvent(eventId: string): Promise<RecordedEvent | undefined> {
    const [event] = await this.rows(this.byId, [eventId]);
    return event;
  }

  // Its own statement, so that the rows read under it come from a newer snapshot (docs/postgres.md).
  private async readFrontier(): Promise<string> {
    this.open();
    const result = await queryInOneWrite<[string]>(this.pool, statement(this.frontier));
    return (result.rows[0] as [string])[0];
  }

  private async rows(text: string, values: unknown[], streamId?: string): Promise<RecordedEvent[]> {
    this.open();
    const result = await queryInOneWrite<Row>(this.pool, statement(text, values));
    return streamId === undefined
      ? result.rows.map((row) => toEvent(row))
      : result.rows.map((row) => toEvent(row, streamId));
  }
}
