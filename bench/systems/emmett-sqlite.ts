import { importPeer } from '../peers.js';
import { amountOf } from '../workload.js';
import { type EmmettCore, type EmmettEventStore, type EmmettReadEvent, emmettWrites } from './emmett.js';
import type { BenchSystem, OpenLog } from './types.js';

interface SqliteConnection {
  close(): void;
  command(sql: string, values?: unknown[]): Promise<unknown>;
  query<T>(sql: string, values?: unknown[]): Promise<T[]>;
  withTransaction<T>(fn: () => Promise<T>): Promise<T>;
}

interface EmmettSqlite {
  getSQLiteEventStore(options: { fileName: string }): EmmettEventStore & {
    consumer(): {
      processor(options: {
        processorId: string;
        projection: {
          name: string;
          canHandle: string[];
          handle(events: EmmettReadEvent[], context: { connection: SqliteConnection }): Promise<void>;
        };
        startFrom: 'BEGINNING';
        stopAfter: (message: EmmettReadEvent) => boolean;
      }): unknown;
      start(): Promise<void>;
      close(): Promise<void>;
    };
  };
  sqliteConnection(options: { fileName: string }): SqliteConnection;
  readMessagesBatch(
    connection: SqliteConnection,
    options: { after: bigint; batchSize: number },
  ): Promise<{ messages: EmmettReadEvent[]; areEventsLeft: boolean }>;
}

/**
 * Emmett's SQLite event store (`getSQLiteEventStore({ fileName })`, as its documentation shows), on the
 * `sqlite3` driver. It opens a connection per operation and sets only `journal_mode = WAL`, so SQLite's default
 * `synchronous=FULL` applies: every commit is fsynced; it has no setting for less.
 */
export const emmettSqlite: BenchSystem = {
  id: 'emmett',
  role: 'peer',
  backend: 'sqlite',
  label: 'Emmett',
  durabilities: ['strict'],
  durabilityNote: () =>
    'getSQLiteEventStore defaults: WAL, synchronous=FULL (SQLite default), fsync on every commit; a connection per operation',
  async open(target): Promise<OpenLog> {
    if (target.backend !== 'sqlite') throw new Error('emmett-sqlite needs an SQLite target');
    const emmett = await importPeer<EmmettSqlite>('sqlite', '@event-driven-io/emmett-sqlite');
    const core = await importPeer<EmmettCore>('sqlite', '@event-driven-io/emmett');
    const fileName = target.file;
    const store = emmett.getSQLiteEventStore({ fileName });
    return {
      ...emmettWrites(core, store),
      async replay(visit) {
        const connection = emmett.sqliteConnection({ fileName });
        try {
          for (let after = 0n; ; ) {
            const batch = await emmett.readMessagesBatch(connection, { after, batchSize: 1000 });
            for (const m of batch.messages) visit(Number(m.metadata.globalPosition), m.data);
            const last = batch.messages[batch.messages.length - 1];
            if (!last || batch.messages.length < 1000) return;
            after = last.metadata.globalPosition;
          }
        } finally {
          connection.close();
        }
      },
      async balancesView() {
        return {
          // Emmett's SQLite store has no rebuild; the nearest is a consumer whose processor runs a projection
          // from the beginning of the log, stopping after the last event.
          async rebuild() {
            const connection = emmett.sqliteConnection({ fileName });
            // Not emmett.readLastMessageGlobalPosition: in 0.38.5 it orders ascending and returns the first.
            const [last] = await connection.query<{ head: number | null }>(
              'SELECT max(global_position) AS head FROM emt_messages',
            );
            const head = BigInt(last?.head ?? 0);
            await connection.command('DROP TABLE IF EXISTS balances');
            await connection.command(
              'CREATE TABLE balances (account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL)',
            );
            connection.close();
            const consumer = store.consumer();
            consumer.processor({
              processorId: `balances-${Date.now()}`,
              projection: {
                name: 'balances',
                canHandle: ['Deposited'],
                async handle(events, context) {
                  for (const e of events) {
                    await context.connection.command(
                      `INSERT INTO balances VALUES (?, ?)
                       ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance`,
                      [e.metadata.streamName, amountOf(e.data)],
                    );
                  }
                },
              },
              startFrom: 'BEGINNING',
              stopAfter: (m) => m.metadata.globalPosition >= head,
            });
            await consumer.start();
            await consumer.close();
            const check = emmett.sqliteConnection({ fileName });
            try {
              const [row] = await check.query<{ rows: number; total: number }>(
                'SELECT count(*) AS rows, coalesce(sum(balance), 0) AS total FROM balances',
              );
              return row ?? { rows: 0, total: 0 };
            } finally {
              check.close();
            }
          },
          async close() {},
        };
      },
      async close() {},
    };
  },
};
