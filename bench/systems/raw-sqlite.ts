import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { amountOf, evolveBalance } from '../workload.js';
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
    // Stream versions kept in memory, read from the file the first time a stream is seen in this open (a log
    // opened again, as the growth scenario does, already has them).
    const versions = new Map<string, number>();
    const lastVersion = db
      .prepare<[string], number>('SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = ?')
      .pluck();
    const write = db.transaction((streamId: string, events: Parameters<OpenLog['append']>[1]) => {
      let version = versions.get(streamId) ?? (lastVersion.get(streamId) as number);
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
    const readStream = db.prepare<[string], { stream_version: number; type: string; data: string }>(
      'SELECT stream_version, type, data FROM events WHERE stream_id = ? ORDER BY stream_version',
    );
    const fold = (streamId: string) => {
      let state = { balance: 0 };
      let version = 0;
      for (const row of readStream.iterate(streamId)) {
        state = evolveBalance(state, { type: row.type, data: JSON.parse(row.data) });
        version = row.stream_version;
      }
      return { version, balance: state.balance };
    };
    // A command in one synchronous transaction: nothing else runs between the read and the write.
    const command = db.transaction((streamId: string, deposit: Parameters<OpenLog['append']>[1][number]) => {
      const { version } = fold(streamId);
      versions.set(streamId, version);
      write(streamId, [deposit]);
    });
    return {
      async append(streamId, events) {
        write.immediate(streamId, events);
      },
      async load(streamId) {
        return fold(streamId);
      },
      async command(streamId, deposit) {
        command.immediate(streamId, deposit);
        return { attempts: 1 };
      },
      async balancesView() {
        const page = db
          .prepare<[number], [number, string, string]>(
            'SELECT position, stream_id, data FROM events WHERE position >= ? ORDER BY position LIMIT 5000',
          )
          .raw(true);
        return {
          async rebuild() {
            db.exec(`DROP TABLE IF EXISTS balances;
              CREATE TABLE balances (account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL)`);
            const add = db.prepare(`INSERT INTO balances VALUES (?, ?)
              ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance`);
            const apply = db.transaction((rows: [number, string, string][]) => {
              for (const r of rows) add.run(r[1], amountOf(JSON.parse(r[2])));
            });
            for (let next = 1; ; ) {
              const rows = page.all(next);
              apply(rows);
              const last = rows[rows.length - 1];
              if (!last || rows.length < 5000) break;
              next = last[0] + 1;
              // A turn of the event loop between pages, as any reader sharing the process would need.
              await new Promise((resolve) => setImmediate(resolve));
            }
            return db
              .prepare<[], { rows: number; total: number }>(
                'SELECT count(*) AS rows, coalesce(sum(balance), 0) AS total FROM balances',
              )
              .get() as { rows: number; total: number };
          },
          async close() {},
        };
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
