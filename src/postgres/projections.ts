import type pg from 'pg';
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
import { toSafeInteger } from '../store/safe-integer.js';
import { quoteIdentifier } from './identifier.js';
import { postgresOwnership } from './ownership.js';
import { statement } from './statement.js';
import type { PostgresEventStore } from './store.js';

/**
 * Tables of one copy of a view: its name for queries → the copy's table, schema-qualified and quoted for SQL.
 *
 * @example
 * const tables: ViewTables = { balances: '"app"."balances__balances_7"' };
 */
export type ViewTables = Record<string, string>;

/**
 * Applies events to one copy of a view, inside the transaction that also moves its checkpoint. `apply` gets a
 * whole batch (up to the runner's batch size): a statement per event costs a network round trip each, so apply
 * a batch with few statements (fold it in memory, then one upsert from `unnest` arrays). It may be called again
 * with part of a batch whose transaction rolled back, so it keeps no state of its own between calls.
 *
 * @example
 * const counter = (t: ViewTables): PostgresProjectionHandler => ({
 *   apply: async (client, events) => void (await client.query(`UPDATE ${t.counts} SET n = n + $1`, [events.length])),
 * });
 */
export interface PostgresProjectionHandler {
  apply(client: pg.ClientBase, events: readonly RecordedEvent[]): Promise<void>;
}

/**
 * A projection whose view is tables in the event store's PostgreSQL schema: each batch of events and the
 * checkpoint commit in one transaction, so a crash never applies an event twice or skips one. Queries read a
 * SQL view named after each table (`"schema".balances`), which a rebuild repoints atomically.
 *
 * @example
 * const balances = postgresProjection({
 *   name: 'balances', version: 1, handles: ['MoneyDeposited'],
 *   tables: { balances: 'account_id text PRIMARY KEY, balance bigint NOT NULL' },
 *   handler: (t) => ({
 *     async apply(client, events) {
 *       const sums = new Map<string, number>();
 *       for (const e of events) sums.set(e.streamId, (sums.get(e.streamId) ?? 0) + (e.data as { amount: number }).amount);
 *       await client.query(
 *         `INSERT INTO ${t.balances} SELECT * FROM unnest($1::text[], $2::bigint[])
 *          ON CONFLICT (account_id) DO UPDATE SET balance = ${t.balances}.balance + excluded.balance`,
 *         [[...sums.keys()], [...sums.values()]],
 *       );
 *     },
 *   }),
 * });
 */
export interface PostgresProjection extends ProjectionDefinition {
  readonly kind: 'postgres';
  /**
   * Each table of the view: its name for queries (lowercase letters, digits and `_`) → its column definitions
   * (what follows the name in CREATE TABLE).
   */
  tables: Record<string, string>;
  /** More DDL run once per copy after its tables exist (indexes); gets the copy's table names. */
  setup?: (tables: ViewTables) => string;
  /** Makes the handler of one copy of the view. */
  handler: (tables: ViewTables) => PostgresProjectionHandler;
}

// A copy's table is `<table>__<name>_<copy>`: room for copy numbers of 9 digits within PostgreSQL's 63 bytes.
const maxTableNameLength = 63 - 10;
const reservedTable =
  /^(events|snapshots|projections|projection_copies|projection_skips|hindsight_.*|pg_.*)$/;

const safeName = (name: string) => name.replace(/\W/g, '_');

/**
 * Declares a projection kept in PostgreSQL tables.
 *
 * @example
 * const counts = postgresProjection({ name: 'counts', version: 1, tables: { counts: 'type text PRIMARY KEY, n bigint' },
 *   handler: (t) => ({ apply: (client, events) => countTypes(client, t.counts, events) }) });
 */
export function postgresProjection(definition: Omit<PostgresProjection, 'kind'>): PostgresProjection {
  for (const table of Object.keys(definition.tables)) {
    if (
      !/^[a-z_][a-z0-9_]*$/.test(table) ||
      reservedTable.test(table) ||
      `${table}__${safeName(definition.name)}_`.length > maxTableNameLength
    ) {
      throw new Error(
        `projection ${definition.name}: ${table} cannot name a view table (lowercase letters, digits and _, ` +
          `not a table of the store, and at most ${maxTableNameLength} characters with the projection's name)`,
      );
    }
  }
  return { ...definition, kind: 'postgres' };
}

type ActiveRow = [copy: string, version: string, position: string];

/**
 * The PostgreSQL backend of projections: views in the store's own schema. `createPostgresProjectionRunner` adds
 * it for you; pass it yourself to a runner made with `createProjectionRunner`.
 *
 * @example
 * const runner = createProjectionRunner(store, [balances], { backends: [postgresProjectionBackend(store)] });
 */
export function postgresProjectionBackend(store: PostgresEventStore): ProjectionBackend {
  const pool = store.pool;
  const s = quoteIdentifier(store.schema);
  const sql = {
    active: `SELECT c.copy::text, c.version::text, c.position::text FROM ${s}.projections p
      JOIN ${s}.projection_copies c ON c.name = p.name AND c.copy = p.active_copy WHERE p.name = $1`,
    insertCopy: `INSERT INTO ${s}.projection_copies (name, copy, version, temporary, tables)
      VALUES ($1, nextval('${s}.projection_copy_numbers'), $2, $3, $4) RETURNING copy::text`,
    position: `SELECT position::text FROM ${s}.projection_copies WHERE name = $1 AND copy = $2`,
    lockPosition: `SELECT position::text FROM ${s}.projection_copies WHERE name = $1 AND copy = $2 FOR UPDATE`,
    setPosition: `UPDATE ${s}.projection_copies SET position = greatest(position, $3) WHERE name = $1 AND copy = $2`,
    deleteCopy: `DELETE FROM ${s}.projection_copies WHERE name = $1 AND copy = $2`,
    staleCopies: `SELECT c.copy::text, array_to_json(c.tables)::text FROM ${s}.projection_copies c
      LEFT JOIN ${s}.projections p ON p.name = c.name
      WHERE c.name = $1 AND NOT c.temporary AND c.copy IS DISTINCT FROM p.active_copy`,
    claimName: `INSERT INTO ${s}.projections (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
    lockActive: `SELECT p.active_copy::text, array_to_json(c.tables)::text FROM ${s}.projections p
      LEFT JOIN ${s}.projection_copies c ON c.name = p.name AND c.copy = p.active_copy
      WHERE p.name = $1 FOR UPDATE OF p`,
    setActive: `UPDATE ${s}.projections SET active_copy = $2 WHERE name = $1`,
    insertSkip: `INSERT INTO ${s}.projection_skips (name, position, event_id, error, actor, reason, at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  };
  const asPostgres = (p: ProjectionDefinition) => p as PostgresProjection;
  const tableOf = (p: ProjectionDefinition, view: string, copy: number) =>
    `${s}.${quoteIdentifier(`${view}__${safeName(p.name)}_${copy}`)}`;
  const physical = (p: ProjectionDefinition, views: readonly string[], copy: number): ViewTables =>
    Object.fromEntries(views.map((view) => [view, tableOf(p, view, copy)]));

  const activeRow = async (name: string) =>
    (await pool.query<ActiveRow>(statement(sql.active, [name]))).rows[0];

  function copyOf(
    p: PostgresProjection,
    copy: number,
    version: number,
  ): ProjectionCopy & { view: ViewTables } {
    const tables = physical(p, Object.keys(p.tables), copy);
    const handler = p.handler(tables);

    /** Begins the batch's transaction, locking the checkpoint: a second process applying this copy waits here. */
    async function begin(client: pg.PoolClient): Promise<number> {
      // A view is derived data with its checkpoint beside it: its commit need not wait for the WAL flush (as on
      // SQLite). A crash of the server can take only the newest view commits, checkpoint and view together, and
      // the runner applies them again; the log's own appends keep the server's synchronous_commit.
      const began = client.query('BEGIN; SET LOCAL synchronous_commit = off');
      const [row] = (await both(began, client.query<[string]>(statement(sql.lockPosition, [p.name, copy]))))
        .rows;
      if (!row) throw new Error(`projection ${p.name}: copy ${copy} no longer exists`);
      return toSafeInteger(row[0], 'projection position');
    }

    async function commit(client: pg.PoolClient, position: number): Promise<void> {
      const moved = client.query(statement(sql.setPosition, [p.name, copy, position]));
      await both(moved, client.query('COMMIT'));
    }

    /** Applies the events one at a time, each under a savepoint, up to the first that fails. */
    async function applyOneByOne(
      client: pg.PoolClient,
      events: readonly RecordedEvent[],
      position: number,
    ): Promise<ProjectionHandlerError | undefined> {
      const checkpoint = await begin(client);
      for (const event of events) {
        if (event.position <= checkpoint) continue;
        await client.query('SAVEPOINT one_event');
        try {
          await handler.apply(client, [event]);
          await client.query('RELEASE SAVEPOINT one_event');
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT one_event');
          await commit(client, event.position - 1);
          return new ProjectionHandlerError(event, error);
        }
      }
      await commit(client, position);
      return undefined;
    }

    return {
      version,
      view: tables,
      async position() {
        const [row] = (await pool.query<[string]>(statement(sql.position, [p.name, copy]))).rows;
        return row ? toSafeInteger(row[0], 'projection position') : 0;
      },
      async applyBatch(events, position) {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          try {
            const checkpoint = await begin(client);
            // Another process may have applied part of the batch already (it owned the projection a moment ago).
            const fresh = events.filter((e) => e.position > checkpoint);
            if (fresh.length) await handler.apply(client, fresh);
            await commit(client, position);
            return;
          } catch {
            // Rolled back whole: find the failing event, keep the ones before it, and say which failed.
            await client.query('ROLLBACK');
          }
          const failure = await applyOneByOne(client, events, position);
          if (failure) throw failure;
        } catch (error) {
          if (!(error instanceof ProjectionHandlerError)) {
            broken = error as Error;
            await client.query('ROLLBACK').catch(() => {});
          }
          throw error;
        } finally {
          client.release(broken);
        }
      },
      async activate() {
        await transaction(pool, async (client) => {
          await client.query(statement(sql.claimName, [p.name]));
          const [old] = (
            await client.query<[string | null, string | null]>(statement(sql.lockActive, [p.name]))
          ).rows;
          const oldCopy = old?.[0] == null ? undefined : Number(old[0]);
          for (const [view, table] of Object.entries(tables)) {
            const name = `${s}.${quoteIdentifier(view)}`;
            // OR REPLACE keeps views that users built on this one; it refuses a change of columns.
            await client.query('SAVEPOINT repoint');
            try {
              await client.query(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM ${table}`);
            } catch {
              await client.query('ROLLBACK TO SAVEPOINT repoint');
              await client.query(`DROP VIEW IF EXISTS ${name}`);
              await client.query(`CREATE VIEW ${name} AS SELECT * FROM ${table}`);
            }
            await client.query('RELEASE SAVEPOINT repoint');
          }
          await client.query(statement(sql.setActive, [p.name, copy]));
          if (oldCopy !== undefined && oldCopy !== copy) {
            const oldViews = JSON.parse(old?.[1] ?? '[]') as string[];
            for (const view of oldViews) {
              if (!(view in tables)) await client.query(`DROP VIEW IF EXISTS ${s}.${quoteIdentifier(view)}`);
            }
            for (const table of Object.values(physical(p, oldViews, oldCopy))) {
              await client.query(`DROP TABLE IF EXISTS ${table}`);
            }
            await client.query(statement(sql.deleteCopy, [p.name, oldCopy]));
          }
        });
      },
      async drop() {
        await transaction(pool, async (client) => {
          for (const table of Object.values(tables)) await client.query(`DROP TABLE IF EXISTS ${table}`);
          await client.query(statement(sql.deleteCopy, [p.name, copy]));
        });
      },
    };
  }

  async function create(p: PostgresProjection, temporary: boolean) {
    const views = Object.keys(p.tables);
    const copy = await transaction(pool, async (client) => {
      // A copy that is neither serving nor throwaway was being built when its process died: no one will
      // finish it, and only the owner of this projection builds its copies.
      if (!temporary) {
        const stale = await client.query<[string, string]>({
          text: sql.staleCopies,
          values: [p.name],
          rowMode: 'array',
        });
        for (const [copy, views] of stale.rows) {
          for (const table of Object.values(physical(p, JSON.parse(views) as string[], Number(copy)))) {
            await client.query(`DROP TABLE IF EXISTS ${table}`);
          }
          await client.query(statement(sql.deleteCopy, [p.name, Number(copy)]));
        }
      }
      const [row] = (
        await client.query<[string]>(statement(sql.insertCopy, [p.name, p.version, temporary, views]))
      ).rows;
      const n = Number((row as [string])[0]);
      const tables = physical(p, views, n);
      // A throwaway copy is never read after a crash, so it can skip the write-ahead log.
      const create = temporary ? 'CREATE UNLOGGED TABLE' : 'CREATE TABLE';
      for (const view of views) await client.query(`${create} ${tables[view]} (${p.tables[view]})`);
      if (p.setup) await client.query(p.setup(tables));
      return n;
    });
    return copyOf(p, copy, p.version);
  }

  return {
    kind: 'postgres',
    async openActive(p) {
      const active = await activeRow(p.name);
      return active && Number(active[1]) === p.version
        ? copyOf(asPostgres(p), Number(active[0]), p.version)
        : undefined;
    },
    async activeVersion(p) {
      const active = await activeRow(p.name);
      return active && Number(active[1]);
    },
    async createCopy(p) {
      return create(asPostgres(p), false);
    },
    async createTemporaryCopy(p) {
      return create(asPostgres(p), true);
    },
    async recordSkip(p, k) {
      await pool.query(
        statement(sql.insertSkip, [p.name, k.position, k.eventId, k.error, k.actor, k.reason, k.at]),
      );
    },
    async activePosition(p) {
      const active = await activeRow(p.name);
      return active ? toSafeInteger(active[2], 'projection position') : 0;
    },
  };
}

/**
 * A projection runner for a PostgreSQL store: in-memory projections and `postgresProjection`s in the store's
 * schema, each run by one process at a time (`postgresOwnership`, unless `options.ownership` says otherwise).
 *
 * @example
 * const runner = createPostgresProjectionRunner(store, [balances]);
 * await runner.start();
 * await runner.waitFor('balances', appended.position);
 */
export function createPostgresProjectionRunner(
  store: PostgresEventStore,
  projections: readonly ProjectionDefinition[],
  options: ProjectionRunnerOptions = {},
): ProjectionRunner {
  const seen = new Map<string, string>();
  for (const p of projections) {
    if (p.kind !== 'postgres') continue;
    for (const table of Object.keys((p as PostgresProjection).tables)) {
      const other = seen.get(table);
      if (other) throw new Error(`projections ${other} and ${p.name} both name a view ${table}`);
      seen.set(table, p.name);
    }
  }
  return createProjectionRunner(store, projections, {
    ...options,
    ownership: options.ownership ?? postgresOwnership(store),
    backends: [postgresProjectionBackend(store), ...(options.backends ?? [])],
  });
}

/** Runs `work` in a transaction on one pooled connection. */
async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The value of `second` once both settle; the first failure otherwise (with pipelining both are in flight). */
async function both<T>(first: Promise<unknown>, second: Promise<T>): Promise<T> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return b.value;
}
