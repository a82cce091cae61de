import type Database from 'better-sqlite3';
import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';
import { fromPageRow, type PageRow } from '../store/page-row.js';
import type { CheckedReadAll, CheckedReadStream } from '../store/read-options.js';
import { inBatches } from '../store/read-options.js';
import type { Page, PageWorker, ReadAhead } from './page-worker.js';

type Row = [number, string, string, number, string, number, string, string, number];

// One worker message at most this large: far below the longest string V8 can make.
const maxPageBytes = 64 * 1024 * 1024;
// Rows per worker message. Small enough that a page of typical events (~200 bytes each) stays under V8's
// large-object size (128 KiB): large strings live until a full garbage collection, small ones die young, and
// the replay's peak memory showed it (206 MB with pages of 1,000 rows against 170 MB without the worker).
const pageRows = 500;

const columns = 'position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at';

function toEvent(row: Row): RecordedEvent {
  return fromPageRow([
    row[0],
    row[1],
    row[2],
    row[3],
    row[4],
    row[5],
    JSON.parse(row[6]) as JsonValue,
    JSON.parse(row[7]) as EventMetadata,
    row[8],
  ]);
}

/** The reads of the SQLite store; each statement is prepared once per shape of query. */
export class SqliteReader {
  private readonly statements = new Map<string, Database.Statement<unknown[], Row>>();

  constructor(
    private readonly db: Database.Database,
    /** Reads past the first batch on a second core; absent for `:memory:`, which no other connection can open. */
    private readonly worker?: PageWorker,
  ) {}

  readStream(streamId: string, o: CheckedReadStream): AsyncGenerator<RecordedEvent> {
    const bounds = 'AND position <= ? AND recorded_at <= ?';
    const sql = o.backwards
      ? `SELECT ${columns} FROM events WHERE stream_id = ? AND stream_version <= ? ${bounds}
         ORDER BY stream_version DESC LIMIT ?`
      : `SELECT ${columns} FROM events WHERE stream_id = ? AND stream_version >= ? AND stream_version <= ? ${bounds}
         ORDER BY stream_version LIMIT ?`;
    const statement = this.statement(sql);
    let next = o.backwards ? Math.min(o.from ?? o.maxVersion, o.maxVersion) : (o.from ?? 1);
    return this.batches(
      sql,
      o.backwards ? 'stream_version DESC' : 'stream_version',
      o.backwards
        ? { cursor: 1, step: -1, key: 'min(stream_version)' }
        : { cursor: 1, step: 1, key: 'max(stream_version)' },
      statement,
      (count) =>
        o.backwards
          ? [streamId, next, o.maxPosition, o.maxTime, count]
          : [streamId, next, o.maxVersion, o.maxPosition, o.maxTime, count],
      (last) => {
        next = o.backwards ? last.streamVersion - 1 : last.streamVersion + 1;
      },
      o,
    );
  }

  readEvent(eventId: string): RecordedEvent | undefined {
    const row = this.statement(`SELECT ${columns} FROM events WHERE id = ?`).get(eventId);
    return row && toEvent(row);
  }

  readAll(o: CheckedReadAll): AsyncGenerator<RecordedEvent> {
    const filters = ['position >= ?'];
    // The log as far as it is on disk (a strict store), and as far as the caller asked.
    const byPosition = o.maxPosition !== Number.MAX_SAFE_INTEGER;
    const byTime = o.maxTime !== Number.MAX_SAFE_INTEGER;
    if (byPosition) filters.push('position <= ?');
    if (byTime) filters.push('recorded_at <= ?');
    if (o.streamPrefix !== undefined) filters.push('substr(stream_id, 1, ?) = ?');
    if (o.types !== undefined) filters.push('type IN (SELECT value FROM json_each(?))');
    const sql = `SELECT ${columns} FROM events WHERE ${filters.join(' AND ')} ORDER BY position LIMIT ?`;
    const statement = this.statement(sql);
    const prefix = o.streamPrefix;
    // SQLite's substr counts characters (code points); JavaScript's length counts UTF-16 units.
    const prefixLength = prefix === undefined ? 0 : [...prefix].length;
    const types = o.types === undefined ? undefined : JSON.stringify(o.types);
    let next = o.from;
    return this.batches(
      sql,
      'position',
      { cursor: 0, step: 1, key: 'max(position)' },
      statement,
      (count) => {
        const params: unknown[] = [next];
        if (byPosition) params.push(o.maxPosition);
        if (byTime) params.push(o.maxTime);
        if (prefix !== undefined) params.push(prefixLength, prefix);
        if (types !== undefined) params.push(types);
        params.push(count);
        return params;
      },
      (last) => {
        next = last.position + 1;
      },
      o,
    );
  }

  /**
   * The batches of a read: the first read here, at once (most reads are short: a command's stream, a caught-up
   * follower); the rest, when there is a worker, read by it while this thread hands out the batch before.
   */
  private batches(
    sql: string,
    order: string,
    next: Omit<ReadAhead, 'count'>,
    statement: Database.Statement<unknown[], Row>,
    params: (count: number) => unknown[],
    advance: (last: RecordedEvent) => void,
    o: { limit: number; batchSize: number; maxBatchSize: number },
  ): AsyncGenerator<RecordedEvent> {
    let first = true;
    const worker = this.worker;
    const here = (count: number): RecordedEvent[] => {
      const events = statement.all(...params(count)).map(toEvent);
      const last = events[events.length - 1];
      if (last) advance(last);
      return events;
    };
    const there = async (pages: PageWorker, count: number): Promise<RecordedEvent[]> => {
      const events: RecordedEvent[] = [];
      while (events.length < count) {
        const want = Math.min(pageRows, count - events.length);
        let page: Page;
        try {
          page = await pages.read(sql, order, params(want), maxPageBytes, { ...next, count: pageRows });
        } catch (error) {
          // A worker that died (not a query it refused) leaves the rest of the read to this thread.
          if (pages.usable) throw error;
          return events.concat(here(count - events.length));
        }
        const rows = JSON.parse(page.text) as PageRow[];
        for (const row of rows) events.push(fromPageRow(row));
        const last = events[events.length - 1];
        if (last) advance(last);
        if (page.rows < want && !page.truncated) break;
      }
      return events;
    };
    const fetch = (count: number): RecordedEvent[] | Promise<RecordedEvent[]> => {
      if (first || !worker?.usable) {
        first = false;
        return here(count);
      }
      return there(worker, count);
    };
    return inBatches(fetch, o.limit, o.batchSize, worker !== undefined);
  }

  private statement(sql: string): Database.Statement<unknown[], Row> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], Row>(sql).raw(true);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
