import type { RecordedEvent } from '../../src/events/event.js';
import { postgresProjection } from '../../src/postgres/index.js';
import type { ProjectionDefinition } from '../../src/projections/projection.js';
import { sqliteProjection } from '../../src/sqlite/index.js';
import type { StreamAppend } from '../../src/store/event-store.js';
import type { Backend } from '../systems/types.js';
import type { OpenedStore } from './measured.js';

const amountOf = (e: RecordedEvent) => (e.data as { amount: number }).amount;

/**
 * The balances view of the bank: one row per account. On SQLite one prepared upsert per event inside the
 * batch's transaction; on PostgreSQL the batch is summed per account in memory and written with one upsert.
 */
export function balancesProjection(
  backend: Backend,
  version = 1,
  eventType = 'MoneyDeposited',
): ProjectionDefinition {
  const info = { name: 'balances', version, handles: [eventType] };
  if (backend === 'sqlite') {
    return sqliteProjection({
      ...info,
      tables: { balances: 'account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL' },
      handler: (db, t) => {
        const add = db.prepare(
          `INSERT INTO "${t.balances}" VALUES (?, ?)
           ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance`,
        );
        return (e) => {
          add.run(e.streamId, amountOf(e));
        };
      },
    });
  }
  return postgresProjection({
    ...info,
    tables: { balances: 'account_id text PRIMARY KEY, balance bigint NOT NULL' },
    handler: (t) => ({
      async apply(client, events) {
        const sums = new Map<string, number>();
        for (const e of events) sums.set(e.streamId, (sums.get(e.streamId) ?? 0) + amountOf(e));
        await client.query(
          `INSERT INTO ${t.balances} SELECT * FROM unnest($1::text[], $2::bigint[])
           ON CONFLICT (account_id) DO UPDATE SET balance = ${t.balances}.balance + excluded.balance`,
          [[...sums.keys()], [...sums.values()]],
        );
      },
    }),
  });
}

/** The amount of the `n`th deposit of a workload: the view's total is checked against the sum of these. */
export const depositAmount = (n: number): number => 100 + (n % 997);

/**
 * `total` deposits over `accounts` accounts, in appends to many streams at once of 1,000 events (10 to each of
 * 100 accounts), so that neighbouring positions belong to different accounts. Returns the sum of the amounts.
 */
export async function seedDeposits(
  opened: OpenedStore,
  total: number,
  accounts: number,
  onProgress?: (written: number) => void,
): Promise<number> {
  const perStream = 10;
  const streams = 100;
  let n = 0;
  let sum = 0;
  let call = 0;
  const appends: Promise<unknown>[] = [];
  while (n < total) {
    const batch: StreamAppend[] = [];
    for (let s = 0; s < streams && n < total; s++) {
      const streamId = `account-${(call * streams + s) % accounts}`;
      const events = [];
      for (let k = 0; k < perStream && n < total; k++, n++) {
        const amount = depositAmount(n);
        sum += amount;
        events.push({ type: 'MoneyDeposited', data: { amount } });
      }
      batch.push({ streamId, events });
    }
    call++;
    // A few appends in flight keep PostgreSQL busy while the next is encoded; SQLite queues them anyway.
    appends.push(opened.store.appendToStreams(batch));
    if (appends.length === 4) {
      await Promise.all(appends);
      appends.length = 0;
      onProgress?.(n);
    }
  }
  await Promise.all(appends);
  return sum;
}

/** Rows and total of the active balances view. */
export async function balancesTotal(opened: OpenedStore): Promise<{ rows: number; total: number }> {
  if (opened.backend === 'sqlite') {
    const row = opened.store.database
      .prepare<[], { rows: number; total: number }>(
        'SELECT count(*) AS rows, coalesce(sum(balance), 0) AS total FROM balances',
      )
      .get();
    return row ?? { rows: 0, total: 0 };
  }
  const { rows } = await opened.store.pool.query<{ rows: string; total: string }>(
    `SELECT count(*)::text AS rows, coalesce(sum(balance), 0)::text AS total FROM "${opened.store.schema}".balances`,
  );
  return { rows: Number(rows[0]?.rows ?? 0), total: Number(rows[0]?.total ?? 0) };
}
