import type Database from 'better-sqlite3';

/**
 * The SQLite schema, as numbered migrations. Each runs once, in order, inside one write transaction,
 * so processes starting at once against the same file apply each exactly once.
 */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'events',
    sql: `
      CREATE TABLE events (
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
      );
      CREATE TRIGGER events_are_immutable_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE is not allowed'); END;
      CREATE TRIGGER events_are_immutable_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are immutable: DELETE is not allowed'); END;
    `,
  },
  {
    version: 2,
    name: 'snapshots',
    sql: `
      CREATE TABLE snapshots (
        stream_id      TEXT    NOT NULL,
        name           TEXT    NOT NULL,
        shape_version  INTEGER NOT NULL,
        stream_version INTEGER NOT NULL,
        position       INTEGER NOT NULL,
        recorded_at    INTEGER NOT NULL,
        state          TEXT    NOT NULL,
        taken_at       INTEGER NOT NULL,
        PRIMARY KEY (stream_id, name, shape_version, stream_version)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'projections',
    sql: `
      CREATE TABLE projections (
        name        TEXT    PRIMARY KEY,
        active_copy INTEGER
      );
      CREATE TABLE projection_copies (
        name       TEXT    NOT NULL,
        copy       INTEGER NOT NULL,
        version    INTEGER NOT NULL,
        position   INTEGER NOT NULL DEFAULT 0,
        temporary  INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (name, copy)
      );
      CREATE TABLE projection_skips (
        name     TEXT    NOT NULL,
        position INTEGER NOT NULL,
        event_id TEXT    NOT NULL,
        error    TEXT    NOT NULL,
        actor    TEXT    NOT NULL,
        reason   TEXT    NOT NULL,
        at       INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'projection copy tables',
    sql: `ALTER TABLE projection_copies ADD COLUMN tables TEXT NOT NULL DEFAULT '[]';`,
  },
];

/** Applies the migrations this file has not seen yet. */
export function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS hindsight_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = db.prepare('SELECT 1 FROM hindsight_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO hindsight_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const run = db.transaction(() => {
    for (const m of migrations) {
      if (applied.get(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
  });
  run.immediate();
}
