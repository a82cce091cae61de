import type { RecordedEvent } from 'hindsight';
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
