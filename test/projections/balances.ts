import type { RecordedEvent } from 'hindsight';
import { postgresProjection } from 'hindsight/postgres';
import { sqliteProjection } from 'hindsight/sqlite';

/** A balances view for tests: one row per account, credited and debited by amount. */
export function balancesProjection(version = 1, options: { poison?: (e: RecordedEvent) => boolean } = {}) {
  return sqliteProjection({
    name: 'balances',
    version,
    handles: ['MoneyDeposited', 'MoneyWithdrawn'],
    tables: { balances: 'account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL, events INTEGER NOT NULL' },
    handler: (db, t) => {
      const add = db.prepare(
        `INSERT INTO ${t.balances} (account_id, balance, events) VALUES (?, ?, 1)
         ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance, events = events + 1`,
      );
      return (e) => {
        if (options.poison?.(e)) throw new Error(`poison event ${e.position}`);
        const amount = (e.data as { amount: number }).amount * version;
        add.run(e.streamId, e.type === 'MoneyDeposited' ? amount : -amount);
      };
    },
  });
}

/**
 * The same view on PostgreSQL, applied a batch at a time: the batch is folded in memory, then one upsert
 * from arrays writes every account it touched.
 */
export function postgresBalancesProjection(
  version = 1,
  options: { poison?: (e: RecordedEvent) => boolean } = {},
) {
  return postgresProjection({
    name: 'balances',
    version,
    handles: ['MoneyDeposited', 'MoneyWithdrawn'],
    tables: { balances: 'account_id text PRIMARY KEY, balance bigint NOT NULL, events bigint NOT NULL' },
    handler: (t) => ({
      async apply(client, events) {
        const rows = new Map<string, { balance: number; events: number }>();
        for (const e of events) {
          if (options.poison?.(e)) throw new Error(`poison event ${e.position}`);
          const amount = (e.data as { amount: number }).amount * version;
          const row = rows.get(e.streamId) ?? { balance: 0, events: 0 };
          row.balance += e.type === 'MoneyDeposited' ? amount : -amount;
          row.events++;
          rows.set(e.streamId, row);
        }
        await client.query(
          `INSERT INTO ${t.balances} (account_id, balance, events)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
           ON CONFLICT (account_id) DO UPDATE SET balance = ${t.balances}.balance + excluded.balance,
             events = ${t.balances}.events + excluded.events`,
          [
            [...rows.keys()],
            [...rows.values()].map((r) => r.balance),
            [...rows.values()].map((r) => r.events),
          ],
        );
      },
    }),
  });
}
