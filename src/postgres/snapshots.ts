import type { JsonValue } from '../events/event.js';
import type { Snapshot, SnapshotQuery, SnapshotStore } from '../snapshots/snapshot-store.js';
import { toSafeInteger } from '../store/safe-integer.js';
import { quoteIdentifier } from './identifier.js';
import { statement } from './statement.js';
import type { PostgresEventStore } from './store.js';

type Row = [streamVersion: string, position: string, recordedAt: string, state: string, takenAt: string];

const epochMs = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint::text`;

/**
 * Snapshots in the `snapshots` table of the event store's schema.
 *
 * @example
 * const store = await createPostgresEventStore({ connectionString: 'postgres://localhost/app' });
 * const snapshots = createPostgresSnapshotStore(store);
 */
export function createPostgresSnapshotStore(store: PostgresEventStore): SnapshotStore {
  const pool = store.pool;
  const table = `${quoteIdentifier(store.schema)}.snapshots`;
  const load = `SELECT stream_version::text, position::text, ${epochMs('recorded_at')}, state::text,
      ${epochMs('taken_at')}
    FROM ${table}
    WHERE stream_id = $1 AND name = $2 AND shape_version = $3
      AND stream_version <= $4::bigint AND position <= $5::bigint AND recorded_at <= $6::timestamptz
    ORDER BY stream_version DESC LIMIT 1`;
  // One statement: the other shapes go and this one lands together, without a transaction of its own.
  const save = `WITH other_shapes AS (
      DELETE FROM ${table} WHERE stream_id = $1 AND name = $2 AND shape_version <> $3
    )
    INSERT INTO ${table} (stream_id, name, shape_version, stream_version, position, recorded_at, state, taken_at)
    VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::json, $8::timestamptz)
    ON CONFLICT (stream_id, name, shape_version, stream_version) DO UPDATE SET
      position = excluded.position, recorded_at = excluded.recorded_at, state = excluded.state,
      taken_at = excluded.taken_at`;
  const deleteAll = `DELETE FROM ${table}`;
  const deleteNamed = `DELETE FROM ${table} WHERE name = $1`;
  const max = Number.MAX_SAFE_INTEGER;

  return {
    async load(q: SnapshotQuery): Promise<Snapshot | undefined> {
      const result = await pool.query<Row>(
        statement(load, [
          q.streamId,
          q.name,
          q.shapeVersion,
          q.maxStreamVersion ?? max,
          q.maxPosition ?? max,
          q.maxRecordedAt?.toISOString() ?? 'infinity',
        ]),
      );
      const row = result.rows[0];
      if (!row) return undefined;
      return {
        streamId: q.streamId,
        name: q.name,
        shapeVersion: q.shapeVersion,
        streamVersion: toSafeInteger(row[0], 'snapshot stream version'),
        position: toSafeInteger(row[1], 'snapshot position'),
        recordedAt: new Date(Number(row[2])),
        state: JSON.parse(row[3]) as JsonValue,
        takenAt: new Date(Number(row[4])),
      };
    },
    async save(s: Snapshot): Promise<void> {
      await pool.query(
        statement(save, [
          s.streamId,
          s.name,
          s.shapeVersion,
          s.streamVersion,
          s.position,
          s.recordedAt.toISOString(),
          JSON.stringify(s.state),
          s.takenAt.toISOString(),
        ]),
      );
    },
    async deleteAll(name?: string): Promise<number> {
      const result = await pool.query(
        name === undefined ? statement(deleteAll) : statement(deleteNamed, [name]),
      );
      return result.rowCount ?? 0;
    },
  };
}
