import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { BenchSystem, OpenLog } from './types.js';

// The same table and indexes as Hindsight's SQLite schema (src/sqlite/schema.ts), written out by hand.
const schema = `
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL DEFAULT 1,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    recorded_at    INTEGER NOT NULL,
    UNIQUE (stream_id, stream_version)
  )`;

type Row = [number, string, string, number, string, number, string, string, number];

/**
 * The limit: better-sqlite3 with hand-written SQL and nothing else. One transaction per append, one INSERT
 * per event; stream versions come from an in-memory map (no version check, no idempotency lookup, no validation).
 */
export const rawSqlite: BenchSystem = {
  id: 'raw',
  role: 'raw',
  backend: 'sqlite',
  label: 'better-sqlite3',
  durabilities: ['strict', 'normal'],
  durabilityNote: (d) =>
    d === 'strict'
      ? 'WAL, synchronous=FULL, fsync on every commit (one commit per append)'
      : 'WAL, synchronous=NORMAL, fsync at checkpoints only',
  async open(target, durability): Promise<OpenLog> {
    if (target.backend !== 'sqlite') throw new Error('raw-sqlite needs an SQLite target');
    const db = new Database(target.file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'strict' ? 'FULL' : 'NORMAL'}`);
    db.exec(schema);
    const insert = db.prepare(`INSERT INTO events
      (id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
      VALUES (?, ?, ?, ?, 1, ?, ?, ?)`);
    const select = db
      .prepare<
        [number, number],
        Row
      >(`SELECT position, id, stream_id, stream_version, type, schema_version, data,
        metadata, recorded_at FROM events WHERE position >= ? ORDER BY position LIMIT ?`)
      .raw(true);
    const versions = new Map<string, number>();
    const write = db.transaction((streamId: string, events: Parameters<OpenLog['append']>[1]) => {
      let version = versions.get(streamId) ?? 0;
      const at = Date.now();
      for (const e of events) {
        version++;
        insert.run(
          randomUUID(),
          streamId,
          version,
          e.type,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
          at,
        );
      }
      versions.set(streamId, version);
    });
    return {
      async append(streamId, events) {
        write.immediate(streamId, events);
      },
      async replay(visit) {
        // Keyset pages of 1,000 rows, decoded into the same object shape Hindsight returns.
        for (let next = 1; ; ) {
          const rows = select.all(next, 1000);
          for (const r of rows) {
            const event = {
              position: r[0],
              id: r[1],
              streamId: r[2],
              streamVersion: r[3],
              type: r[4],
              schemaVersion: r[5],
              data: JSON.parse(r[6]) as unknown,
              metadata: JSON.parse(r[7]) as unknown,
              recordedAt: new Date(r[8]),
            };
            visit(event.position, event.data);
          }
          const last = rows[rows.length - 1];
          if (!last || rows.length < 1000) return;
          next = last[0] + 1;
        }
      },
      async close() {
        db.close();
      },
    };
  },
};
