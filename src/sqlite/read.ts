import type Database from 'better-sqlite3';
import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';
import type { CheckedReadAll, CheckedReadStream } from '../store/read-options.js';
import { inBatches } from '../store/read-options.js';
import { toSafeInteger } from '../store/safe-integer.js';

type Row = [number, string, string, number, string, number, string, string, number];

const columns = 'position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at';

function toEvent(row: Row): RecordedEvent {
  return {
    position: checked(row[0], 'position'),
    id: row[1],
    streamId: row[2],
    streamVersion: checked(row[3], 'stream version'),
    type: row[4],
    schemaVersion: row[5],
    data: JSON.parse(row[6]) as JsonValue,
    metadata: JSON.parse(row[7]) as EventMetadata,
    recordedAt: new Date(row[8]),
  };
}

// A BIGINT past 2^53 comes out of the driver rounded, hence unsafe: caught here rather than passed on.
function checked(value: number, what: string): number {
  return Number.isSafeInteger(value) ? value : toSafeInteger(value, what);
}

/** The reads of the SQLite store; each statement is prepared once per shape of query. */
export class SqliteReader {
  private readonly statements = new Map<string, Database.Statement<unknown[], Row>>();

  constructor(private readonly db: Database.Database) {}

  readStream(streamId: string, o: CheckedReadStream): AsyncGenerator<RecordedEvent> {
    const bounds = 'AND position <= ? AND recorded_at <= ?';
    const sql = o.backwards
      ? `SELECT ${columns} FROM events WHERE stream_id = ? AND stream_version <= ? ${bounds}
         ORDER BY stream_version DESC LIMIT ?`
      : `SELECT ${columns} FROM events WHERE stream_id = ? AND stream_version >= ? AND stream_version <= ? ${bounds}
         ORDER BY stream_version LIMIT ?`;
    const statement = this.statement(sql);
    let next = o.backwards ? Math.min(o.from ?? o.maxVersion, o.maxVersion) : (o.from ?? 1);
    return inBatches(
      (count) => {
        const rows = o.backwards
          ? statement.all(streamId, next, o.maxPosition, o.maxTime, count)
          : statement.all(streamId, next, o.maxVersion, o.maxPosition, o.maxTime, count);
        const last = rows[rows.length - 1];
        if (last) next = o.backwards ? last[3] - 1 : last[3] + 1;
        return rows.map(toEvent);
      },
      o.limit,
      o.batchSize,
      false,
      o.maxBatchSize,
    );
  }

  readEvent(eventId: string): RecordedEvent | undefined {
    const row = this.statement(`SELECT ${columns} FROM events WHERE id = ?`).get(eventId);
    return row && toEvent(row);
  }

  readAll(o: CheckedReadAll): AsyncGenerator<RecordedEvent> {
    const filters = ['position >= ?'];
    const byPosition = o.maxPosition !== Number.MAX_SAFE_INTEGER;
    const byTime = o.maxTime !== Number.MAX_SAFE_INTEGER;
    if (byPosition) filters.push('position <= ?');
    if (byTime) filters.push('recorded_at <= ?');
    if (o.streamPrefix !== undefined) filters.push('substr(stream_id, 1, ?) = ?');
    if (o.types !== undefined) filters.push('type IN (SELECT value FROM json_each(?))');
    const statement = this.statement(
      `SELECT ${columns} FROM events WHERE ${filters.join(' AND ')} ORDER BY position LIMIT ?`,
    );
    const prefix = o.streamPrefix;
    // SQLite's substr counts characters (code points); JavaScript's length counts UTF-16 units.
    const prefixLength = prefix === undefined ? 0 : [...prefix].length;
    const types = o.types === undefined ? undefined : JSON.stringify(o.types);
    let next = o.from;
    return inBatches(
      (count) => {
        const params: unknown[] = [next];
        if (byPosition) params.push(o.maxPosition);
        if (byTime) params.push(o.maxTime);
        if (prefix !== undefined) params.push(prefixLength, prefix);
        if (types !== undefined) params.push(types);
        params.push(count);
        const rows = statement.all(...params);
        const last = rows[rows.length - 1];
        if (last) next = last[0] + 1;
        return rows.map(toEvent);
      },
      o.limit,
      o.batchSize,
      false,
      o.maxBatchSize,
    );
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
