import { sqliteProjection } from 'hindsight/sqlite';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from '../projections/account-events.js';
import { applyToBalance, type BalanceRow, balancesInfo } from '../projections/balances.js';

/** The columns of a balances row, as SQLite holds them. */
export interface BalanceRecord {
  account_id: string;
  owner: string;
  currency: string;
  balance: number;
  status: string;
  version: number;
  position: number;
  updated_at: string;
}

/** A stored balances row as the API shows it. */
export const balanceRow = (r: BalanceRecord): BalanceRow => ({
  accountId: r.account_id,
  owner: r.owner,
  currency: r.currency,
  balance: r.balance,
  status: r.status === 'closed' ? 'closed' : 'open',
  version: r.version,
  position: r.position,
  updatedAt: r.updated_at,
});

/**
 * Every account's balance, owner, currency, status and version, in the store's SQLite file (`bank_balances`).
 *
 * @example
 * const runner = createSqliteProjectionRunner(store, [sqliteBalances]);
 */
export const sqliteBalances = sqliteProjection({
  ...balancesInfo,
  tables: {
    bank_balances: `account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, currency TEXT NOT NULL,
      balance INTEGER NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
      updated_at TEXT NOT NULL`,
  },
  handler: (db, t) => {
    const read = db.prepare<[string], BalanceRecord>(`SELECT * FROM ${t.bank_balances} WHERE account_id = ?`);
    const write = db.prepare(
      `INSERT OR REPLACE INTO ${t.bank_balances}
       (account_id, owner, currency, balance, status, version, position, updated_at)
       VALUES (@accountId, @owner, @currency, @balance, @status, @version, @position, @updatedAt)`,
    );
    return (e) => {
      const event = asAccountEvent(e);
      const stored = read.get(accountIdOf(e.streamId));
      write.run(applyToBalance(stored && balanceRow(stored), event));
    };
  },
});
