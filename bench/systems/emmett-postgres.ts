import { importPeer } from '../peers.js';
import { withClient } from '../targets.js';
import { amountOf } from '../workload.js';
import { type EmmettCore, type EmmettEventStore, type EmmettReadEvent, emmettWrites } from './emmett.js';
import type { BenchSystem, OpenLog } from './types.js';

interface Sql {
  readonly __sql: unknown;
}

interface Dumbo {
  execute: unknown;
  close(): Promise<void>;
}

interface EmmettPostgres {
  getPostgreSQLEventStore(connectionString: string): EmmettEventStore & {
    close(): Promise<void>;
    schema: { migrate(): Promise<unknown> };
  };
  readMessagesBatch(
    execute: unknown,
    options: { after: bigint; batchSize: number },
  ): Promise<{ messages: EmmettReadEvent[] }>;
  postgreSQLRawBatchSQLProjection(options: {
    name: string;
    canHandle: string[];
    evolve: (events: EmmettReadEvent[]) => Sql[];
    init?: () => Sql;
  }): unknown;
  rebuildPostgreSQLProjections(options: { connectionString: string; projections: unknown[] }): {
    start(): Promise<void>;
    close(): Promise<void>;
  };
}

interface DumboModule {
  dumbo(options: { connectionString: string }): Dumbo;
  rawSql(sql: string): Sql;
}

/** Emmett's tables are unqualified (`emt_messages` …): each run's schema is put first on the search path. */
function inSchema(connectionString: string, schema: string): string {
  const url = new URL(connectionString);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Emmett's PostgreSQL event store (`getPostgreSQLEventStore(connectionString)`, as its documentation shows: its
 * default pool, its schema migrated on first use). Appends go through its `emt_append_to_stream` function.
 */
export const emmettPostgres: BenchSystem = {
  id: 'emmett',
  role: 'peer',
  backend: 'postgres',
  label: 'Emmett',
  durabilities: ['strict'],
  durabilityNote: () => 'synchronous_commit=on: each COMMIT waits for the WAL flush',
  async open(target): Promise<OpenLog> {
    if (target.backend !== 'postgres') throw new Error('emmett-postgres needs a PostgreSQL target');
    const emmett = await importPeer<EmmettPostgres>('postgresql', '@event-driven-io/emmett-postgresql');
    const core = await importPeer<EmmettCore>('postgresql', '@event-driven-io/emmett');
    const { dumbo, rawSql } = await importPeer<DumboModule>('postgresql', '@event-driven-io/dumbo');
    await withClient(target.connectionString, (c) =>
      c.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`),
    );
    const connectionString = inSchema(target.connectionString, target.schema);
    const store = emmett.getPostgreSQLEventStore(connectionString);
    await store.schema.migrate();
    return {
      ...emmettWrites(core, store),
      async replay(visit) {
        const pool = dumbo({ connectionString });
        try {
          for (let after = 0n; ; ) {
            const batch = await emmett.readMessagesBatch(pool.execute, { after, batchSize: 1000 });
            for (const m of batch.messages) visit(Number(m.metadata.globalPosition), m.data);
            const last = batch.messages[batch.messages.length - 1];
            if (!last || batch.messages.length < 1000) return;
            after = last.metadata.globalPosition;
          }
        } finally {
          await pool.close();
        }
      },
      async balancesView() {
        // Emmett's own rebuild: rebuildPostgreSQLProjections runs a projector from the beginning of the log
        // (truncating its view first) and stops when no messages are left. Each batch sums per account and
        // upserts once, as Hindsight's PostgreSQL projection in this bench does.
        const balances = emmett.postgreSQLRawBatchSQLProjection({
          name: 'balances',
          canHandle: ['Deposited'],
          init: () =>
            rawSql(
              'CREATE TABLE IF NOT EXISTS balances (account_id text PRIMARY KEY, balance bigint NOT NULL)',
            ),
          evolve: (events) => {
            const sums = new Map<string, number>();
            for (const e of events) {
              const id = e.metadata.streamName;
              sums.set(id, (sums.get(id) ?? 0) + amountOf(e.data));
            }
            if (!sums.size) return [];
            const values = [...sums].map(([id, sum]) => `(${quote(id)}, ${sum})`).join(', ');
            return [
              rawSql(`INSERT INTO balances VALUES ${values}
                ON CONFLICT (account_id) DO UPDATE SET balance = balances.balance + excluded.balance`),
            ];
          },
        });
        return {
          async rebuild() {
            await withClient(target.connectionString, (c) =>
              c.query(`DROP TABLE IF EXISTS "${target.schema}".balances`),
            );
            const consumer = emmett.rebuildPostgreSQLProjections({
              connectionString,
              projections: [balances],
            });
            await consumer.start();
            await consumer.close();
            return withClient(target.connectionString, async (c) => {
              const { rows } = await c.query<{ rows: string; total: string }>(
                `SELECT count(*)::text AS rows, coalesce(sum(balance), 0)::text AS total FROM "${target.schema}".balances`,
              );
              return { rows: Number(rows[0]?.rows ?? 0), total: Number(rows[0]?.total ?? 0) };
            });
          },
          async close() {},
        };
      },
      close: () => store.close(),
    };
  },
};
