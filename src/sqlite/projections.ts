import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../events/event.js';
import {
  type ProjectionBackend,
  type ProjectionCopy,
  ProjectionHandlerError,
} from '../projections/backend.js';
import type { ProjectionDefinition } from '../projections/projection.js';
import {
  createProjectionRunner,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
} from '../projections/runner.js';
import type { SqliteEventStore } from './store.js';

/** Physical table names of one copy of a view, by the names queries use. */
export type ViewTables = Record<string, string>;

/**
 * A projection whose view is tables in the event store's SQLite file: each batch of events and the checkpoint
 * commit in one transaction, so a crash never applies an event twice or skips one. Queries read a SQL view
 * named after each table, which a rebuild repoints atomically.
 *
 * @example
 * const balances = sqliteProjection({
 *   name: 'balances', version: 1, handles: ['MoneyDeposited'],
 *   tables: { balances: 'account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL' },
 *   handler: (db, t) => {
 *     const add = db.prepare(`INSERT INTO ${t.balances} VALUES (?, ?)
 *       ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance`);
 *     return (e) => { add.run(e.streamId, (e.data as { amount: number }).amount); };
 *   },
 * });
 */
export interface SqliteProjection extends ProjectionDefinition {
  readonly kind: 'sqlite';
  /** Each table of the view: its name for queries → its column definitions (what follows the name in CREATE TABLE). */
  tables: Record<string, string>;
  /** More DDL run once per copy after its tables exist (indexes); gets the copy's physical table names. */
  setup?: (tables: ViewTables) => string;
  /** Prepares statements for one copy and returns the handler applied to each event, inside the transaction. */
  handler: (db: Database.Database, tables: ViewTables) => (event: RecordedEvent) => void;
}

/** Declares a projection kept in SQLite tables. */
export function sqliteProjection(definition: Omit<SqliteProjection, 'kind'>): SqliteProjection {
  const reserved =
    /^(events|snapshots|projections|projection_copies|projection_skips|hindsight_.*|sqlite_.*)$/i;
  for (const table of Object.keys(definition.tables)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(table) || reserved.test(table)) {
      throw new Error(`projection ${definition.name}: ${table} cannot name a view table`);
    }
  }
  return { ...definition, kind: 'sqlite' };
}

/** The SQLite backend of projections: views in the store's own file. */
export function sqliteProjectionBackend(store: SqliteEventStore): ProjectionBackend {
  const db = store.database;
  // A view and its checkpoint are derived from the log and commit together: a power loss that takes their last
  // commit leaves them at an earlier checkpoint, from which they catch up again. So their commits skip the fsync
  // that strict durability gives appends (the next append's fsync writes them out too); measured in
  // docs/benchmarks.md, a third of a busy server's time went to these fsyncs.
  const withoutFsync = (apply: () => void) => {
    const level = db.pragma('synchronous', { simple: true }) as number;
    if (level < 2) return apply();
    db.pragma('synchronous = NORMAL');
    try {
      apply();
    } finally {
      db.pragma(`synchronous = ${level === 3 ? 'EXTRA' : 'FULL'}`);
    }
  };
  const activeCopy = db.prepare<[string], { copy: number; version: number; position: number }>(
    `SELECT c.copy, c.version, c.position FROM projections p
     JOIN projection_copies c ON c.name = p.name AND c.copy = p.active_copy WHERE p.name = ?`,
  );
  const nextCopy = db
    .prepare<[string], number>('SELECT coalesce(max(copy), 0) + 1 FROM projection_copies WHERE name = ?')
    .pluck();
  const insertCopy = db.prepare(
    `INSERT INTO projection_copies (name, copy, version, temporary, created_at, tables)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const staleCopies = db.prepare<[string], { copy: number; tables: string }>(
    `SELECT c.copy, c.tables FROM projection_copies c LEFT JOIN projections p ON p.name = c.name
     WHERE c.name = ? AND c.temporary = 0 AND c.copy IS NOT p.active_copy`,
  );
  const copyPosition = db
    .prepare<[string, number], number>('SELECT position FROM projection_copies WHERE name = ? AND copy = ?')
    .pluck();
  const setPosition = db.prepare('UPDATE projection_copies SET position = ? WHERE name = ? AND copy = ?');
  const deleteCopy = db.prepare('DELETE FROM projection_copies WHERE name = ? AND copy = ?');
  const setActive = db.prepare(
    `INSERT INTO projections (name, active_copy) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET active_copy = excluded.active_copy`,
  );
  const insertSkip = db.prepare(
    `INSERT INTO projection_skips (name, position, event_id, error, actor, reason, at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const asSqlite = (p: ProjectionDefinition) => p as SqliteProjection;
  const physical = (p: SqliteProjection, copy: number): ViewTables =>
    Object.fromEntries(Object.keys(p.tables).map((t) => [t, `${t}__${p.name.replace(/\W/g, '_')}_${copy}`]));

  const dropTables = (tables: ViewTables) => {
    for (const table of Object.values(tables)) db.exec(`DROP TABLE IF EXISTS "${table}"`);
  };

  function copyOf(p: SqliteProjection, copy: number, version: number): ProjectionCopy & { view: ViewTables } {
    const tables = physical(p, copy);
    const handle = p.handler(db, tables);
    const applyAll = db.transaction((events: readonly RecordedEvent[], position: number) => {
      for (const event of events) handle(event);
      setPosition.run(position, p.name, copy);
    });
    function applyBatchNow(events: readonly RecordedEvent[], position: number): void {
      try {
        applyAll.immediate(events, position);
        return;
      } catch {
        // Rolled back whole: find the failing event, keep the ones before it, and say which failed.
      }
      let applied = 0;
      let failure: ProjectionHandlerError | undefined;
      db.transaction(() => {
        for (const event of events) {
          db.exec('SAVEPOINT one_event');
          try {
            handle(event);
            db.exec('RELEASE one_event');
            applied++;
          } catch (error) {
            db.exec('ROLLBACK TO one_event; RELEASE one_event');
            failure = new ProjectionHandlerError(event, error);
            break;
          }
        }
        const last = events[applied - 1];
        if (failure && last) setPosition.run(last.position, p.name, copy);
        if (!failure) setPosition.run(position, p.name, copy);
      }).immediate();
      if (failure) throw failure;
    }
    return {
      version,
      view: tables,
      async position() {
        return copyPosition.get(p.name, copy) ?? 0;
      },
      async applyBatch(events, position) {
        withoutFsync(() => applyBatchNow(events, position));
      },
      async activate() {
        db.transaction(() => {
          const old = activeCopy.get(p.name);
          for (const [view, table] of Object.entries(tables)) {
            db.exec(`DROP VIEW IF EXISTS "${view}"`);
            db.exec(`CREATE VIEW "${view}" AS SELECT * FROM "${table}"`);
          }
          setActive.run(p.name, copy);
          if (old && old.copy !== copy) {
            dropTables(physical(p, old.copy));
            deleteCopy.run(p.name, old.copy);
          }
        }).immediate();
      },
      async drop() {
        db.transaction(() => {
          dropTables(tables);
          deleteCopy.run(p.name, copy);
        }).immediate();
      },
    };
  }

  function create(p: SqliteProjection, temporary: boolean) {
    const copy = db
      .transaction(() => {
        // A copy that is neither serving nor throwaway was being built when its process died: no one will
        // finish it, and only this projection's runner builds its copies.
        if (!temporary) {
          for (const stale of staleCopies.all(p.name)) {
            for (const table of JSON.parse(stale.tables) as string[])
              db.exec(`DROP TABLE IF EXISTS "${table}"`);
            deleteCopy.run(p.name, stale.copy);
          }
        }
        const n = nextCopy.get(p.name) ?? 1;
        const tables = physical(p, n);
        insertCopy.run(
          p.name,
          n,
          p.version,
          temporary ? 1 : 0,
          Date.now(),
          JSON.stringify(Object.values(tables)),
        );
        for (const [view, table] of Object.entries(tables)) {
          db.exec(`DROP TABLE IF EXISTS "${table}"; CREATE TABLE "${table}" (${p.tables[view]})`);
        }
        if (p.setup) db.exec(p.setup(tables));
        return n;
      })
      .immediate();
    return copyOf(p, copy, p.version);
  }

  return {
    kind: 'sqlite',
    async openActive(p) {
      const active = activeCopy.get(p.name);
      return active && active.version === p.version
        ? copyOf(asSqlite(p), active.copy, active.version)
        : undefined;
    },
    async activeVersion(p) {
      return activeCopy.get(p.name)?.version;
    },
    async createCopy(p) {
      return create(asSqlite(p), false);
    },
    async createTemporaryCopy(p) {
      return create(asSqlite(p), true);
    },
    async recordSkip(p, s) {
      insertSkip.run(p.name, s.position, s.eventId, s.error, s.actor, s.reason, s.at.getTime());
    },
    async activePosition(p) {
      return activeCopy.get(p.name)?.position ?? 0;
    },
  };
}

/**
 * A projection runner for a SQLite store: in-memory projections and `sqliteProjection`s in the store's file.
 *
 * @example
 * const runner = createSqliteProjectionRunner(store, [balances]);
 * await runner.start();
 */
export function createSqliteProjectionRunner(
  store: SqliteEventStore,
  projections: readonly ProjectionDefinition[],
  options: ProjectionRunnerOptions = {},
): ProjectionRunner {
  return createProjectionRunner(store, projections, {
    ...options,
    backends: [sqliteProjectionBackend(store), ...(options.backends ?? [])],
  });
}
