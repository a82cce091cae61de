import type { JsonValue } from '../events/event.js';
import type { Snapshot, SnapshotQuery, SnapshotStore } from '../snapshots/snapshot-store.js';
import type { SqliteEventStore } from './store.js';

type Row = [string, string, number, number, number, number, string, number];

/**
 * Snapshots in the `snapshots` table of the event store's own SQLite file.
 *
 * @example
 * const store = createSqliteEventStore({ file: 'events.sqlite' });
 * const snapshots = createSqliteSnapshotStore(store);
 */
export function createSqliteSnapshotStore(store: SqliteEventStore): SnapshotStore {
  const db = store.database;
  const load = db
    .prepare<[string, string, number, number, number, number], Row>(
      `SELECT stream_id, name, shape_version, stream_version, position, recorded_at, state, taken_at
       FROM snapshots
       WHERE stream_id = ? AND name = ? AND shape_version = ?
         AND stream_version <= ? AND position <= ? AND recorded_at <= ?
       ORDER BY stream_version DESC LIMIT 1`,
    )
    .raw(true);
  const upsert = db.prepare(
    `INSERT OR REPLACE INTO snapshots
     (stream_id, name, shape_version, stream_version, position, recorded_at, state, taken_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const dropOtherShapes = db.prepare(
    'DELETE FROM snapshots WHERE stream_id = ? AND name = ? AND shape_version <> ?',
  );
  const deleteAll = db.prepare('DELETE FROM snapshots');
  const deleteNamed = db.prepare('DELETE FROM snapshots WHERE name = ?');
  const save = db.transaction((s: Snapshot) => {
    dropOtherShapes.run(s.streamId, s.name, s.shapeVersion);
    upsert.run(
      s.streamId,
      s.name,
      s.shapeVersion,
      s.streamVersion,
      s.position,
      s.recordedAt.getTime(),
      JSON.stringify(s.state),
      s.takenAt.getTime(),
    );
  });
  const max = Number.MAX_SAFE_INTEGER;

  return {
    async load(q: SnapshotQuery): Promise<Snapshot | undefined> {
      const row = load.get(
        q.streamId,
        q.name,
        q.shapeVersion,
        q.maxStreamVersion ?? max,
        q.maxPosition ?? max,
        q.maxRecordedAt?.getTime() ?? max,
      );
      if (!row) return undefined;
      return {
        streamId: row[0],
        name: row[1],
        shapeVersion: row[2],
        streamVersion: row[3],
        position: row[4],
        recordedAt: new Date(row[5]),
        state: JSON.parse(row[6]) as JsonValue,
        takenAt: new Date(row[7]),
      };
    },
    async save(snapshot: Snapshot): Promise<void> {
      save.immediate(snapshot);
    },
    async deleteAll(name?: string): Promise<number> {
      return (name === undefined ? deleteAll.run() : deleteNamed.run(name)).changes;
    },
  };
}
