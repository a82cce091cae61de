import type pg from 'pg';
import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';
import { fromPageRow, type PageRow } from '../store/page-row.js';
import type { CheckedBound, CheckedReadAll, CheckedReadStream } from '../store/read-options.js';
import { inBatches } from '../store/read-options.js';
import { toSafeInteger } from '../store/safe-integer.js';
import { RangePages } from './ranges.js';
import { queryInOneWrite, statement } from './statement.js';

type Row = [string, string, string, string, string, string, string, string, string];

// Named apart from the columns they come from: an ORDER BY name would otherwise sort the text, not the number.
const columns = `position::text AS p, id, stream_id, stream_version::text AS v, type, schema_version::text AS sv,
  data::text AS d, metadata::text AS m, round(date_part('epoch', recorded_at) * 1000)::bigint::text AS t`;

const unbounded = Number.MAX_SAFE_INTEGER;

// Rows per JSON text of a page: each text stays under V8's large-object size (128 KiB) for typical events, so it
// dies young instead of waiting for a full garbage collection.
const chunkRows = 250;

/**
 * A page of events as a few JSON texts, built by the server: each text is an array of rows
 * `[position, id, streamId, version, type, schemaVersion, data, metadata, recordedAtMs]`, with data and metadata
 * as stored. The client parses a text per 250 events instead of nine columns and two JSON texts per event: a
 * third of the client's CPU per event (docs/postgres.md, "Reads as JSON pages").
 */
function pageQuery(
  from: string,
  where: readonly string[],
  key: string,
  descending: boolean,
  streamId: string,
  limitParameter: number,
): string {
  const order = descending ? 'DESC' : '';
  const row = `'[' || position || ',' || to_json(id) || ',' || ${streamId} || ',' || stream_version || ',' ||
    to_json(type) || ',' || schema_version || ',' || data::text || ',' || metadata::text || ',' ||
    round(date_part('epoch', recorded_at) * 1000)::bigint || ']'`;
  return `SELECT '[' || string_agg(r, ',' ORDER BY k ${order}) || ']' FROM (
      SELECT r, k, (row_number() OVER (ORDER BY k ${order}) - 1) / ${chunkRows} AS chunk FROM (
        SELECT ${row} AS r, ${key} AS k FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${key} ${order}
        LIMIT $${limitParameter}
      ) AS page
    ) AS numbered GROUP BY chunk ORDER BY chunk`;
}

// The largest xid8: a frontier that filters nothing, for reads that stay at or below a head already reported.
const noFrontier = '18446744073709551615';

function toEvent(row: Row): RecordedEvent {
  return {
    position: toSafeInteger(row[0], 'position'),
    id: row[1],
    streamId: row[2],
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
    return o.backwards ? this.streamBackwards(streamId, o) : this.streamForwards(streamId, o);
  }

  /**
   * Forwards, a stream is read by ranges of versions: its versions have no gaps, so each batch's range is known
   * before the one before it arrives, and two batches are read at once on two connections, while this thread
   * parses a third. A batch short of its range is the end (of the stream, or of the `asOf` bound, which only
   * ever cuts off its newest events).
   */
  private streamForwards(streamId: string, o: CheckedReadStream): AsyncGenerator<RecordedEvent> {
    const params: unknown[] = [streamId, 0, 0];
    const filters = ['stream_id = $1', 'stream_version >= $2', 'stream_version <= $3', ...bounds(o, params)];
    const text = pageQuery(`${this.s}.events`, filters, 'stream_version', false, "'null'", params.length + 1);
    // Versions start at 1: a read from 0 is a read from 1.
    let next = Math.max(1, o.from ?? 1);
    return inBatches(
      (count) => {
        const first = next;
        next += count;
        if (first > o.maxVersion) return [];
        return this.page(
          text,
          [streamId, first, Math.min(first + count - 1, o.maxVersion), ...params.slice(3), count],
          streamId,
        );
      },
      o.limit,
      o.batchSize,
      2,
      o.maxBatchSize,
    );
  }

  /** Backwards, from the last row seen: an `asOf` bound may leave the newest versions out, so ranges could be empty. */
  private streamBackwards(streamId: string, o: CheckedReadStream): AsyncGenerator<RecordedEvent> {
    const params: unknown[] = [streamId, 0];
    const filters = ['stream_id = $1', 'stream_version <= $2', ...bounds(o, params)];
    const text = pageQuery(`${this.s}.events`, filters, 'stream_version', true, "'null'", params.length + 1);
    let next = Math.min(o.from ?? o.maxVersion, o.maxVersion);
    return inBatches(
      async (count) => {
        params[1] = next;
        const events = await this.page(text, [...params, count], streamId);
        const last = events[events.length - 1];
        if (last) next = last.streamVersion - 1;
        return events;
      },
      o.limit,
      o.batchSize,
      true,
      o.maxBatchSize,
    );
  }

  /**
   * The log, in two stretches. Up to a head already reported (asked for first when the read is not bounded by
   * one), every position is final, so that stretch is read by ranges of positions, two at once (ranges.ts). Past
   * it, from the last row seen, each page below the read frontier (the oldest append still in flight).
   */
  readAll(o: CheckedReadAll): AsyncGenerator<RecordedEvent> {
    const params: unknown[] = [o.from, '0'];
    const filters = ['position >= $1', 'transaction_id < $2::xid8', ...bounds(o, params)];
    const rangeParams: unknown[] = [0, 0];
    const rangeFilters = [
      'position >= $1',
      'position <= $2',
      ...bounds({ ...o, maxPosition: unbounded }, rangeParams),
    ];
    for (const [p, f] of [
      [params, filters],
      [rangeParams, rangeFilters],
    ] as const) {
      if (o.streamPrefix !== undefined) {
        p.push(o.streamPrefix);
        // starts_with has no wildcards: a % or _ in a prefix means itself.
        f.push(`starts_with(stream_id, $${p.length})`);
      }
      if (o.types !== undefined) {
        p.push(o.types);
        f.push(`type = ANY($${p.length}::text[])`);
      }
    }
    const text = pageQuery(
      `${this.s}.events`,
      filters,
      'position',
      false,
      'to_json(stream_id)',
      params.length + 1,
    );
    const rangeText = pageQuery(
      `${this.s}.events`,
      rangeFilters,
      'position',
      false,
      'to_json(stream_id)',
      rangeParams.length + 1,
    );
    let ranges: RangePages | undefined;
    let rangesRead = false;
    return inBatches(
      async (count) => {
        const events: RecordedEvent[] = [];
        if (!rangesRead) {
          if (!ranges) {
            const head = o.maxPosition <= this.finalUpTo ? o.maxPosition : await this.headPosition();
            const to = Math.min(o.maxPosition, head);
            const read = (from: number, last: number, limit: number) =>
              this.page(rangeText, [from, last, ...rangeParams.slice(2), limit]);
            ranges = new RangePages(read, o.from, to, count);
          }
          events.push(...(await ranges.take(count)));
          if (events.length === count) return events;
          rangesRead = true;
          params[0] = Math.max(o.from, ranges.to + 1);
          if (o.maxPosition <= ranges.to) return events;
        }
        params[1] = o.maxPosition <= this.finalUpTo ? noFrontier : await this.readFrontier();
        const rest = await this.page(text, [...params, count - events.length]);
        const last = rest[rest.length - 1];
        if (last) params[0] = last.position + 1;
        return events.concat(rest);
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

  private async rows(text: string, values: unknown[]): Promise<RecordedEvent[]> {
    this.open();
    const result = await queryInOneWrite<Row>(this.pool, statement(text, values));
    return result.rows.map(toEvent);
  }

  /** The events of a page query (`pageQuery`); a stream's own read gives its stream id, the log's carry theirs. */
  private async page(text: string, values: unknown[], streamId?: string): Promise<RecordedEvent[]> {
    this.open();
    const result = await queryInOneWrite<[string]>(this.pool, statement(text, values));
    const events: RecordedEvent[] = [];
    for (const [chunk] of result.rows) {
      for (const row of JSON.parse(chunk) as PageRow[])
        events.push(fromPageRow(row, streamId ?? (row[2] as string)));
    }
    return events;
  }
}
