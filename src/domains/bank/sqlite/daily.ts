import { sqliteProjection } from 'hindsight/sqlite';
import { asAccountEvent } from '../projections/account-events.js';
import { type DailyRow, dailyDelta, dailyInfo } from '../projections/daily.js';

/** The columns of a day, as SQLite holds them. */
export interface DailyRecord {
  day: string;
  deposit_count: number;
  deposit_total: number;
  withdrawal_count: number;
  withdrawal_total: number;
  transfer_count: number;
  transfer_total: number;
}

export const dailyRow = (r: DailyRecord): DailyRow => ({
  day: r.day,
  depositCount: r.deposit_count,
  depositTotal: r.deposit_total,
  withdrawalCount: r.withdrawal_count,
  withdrawalTotal: r.withdrawal_total,
  transferCount: r.transfer_count,
  transferTotal: r.transfer_total,
});

/**
 * Deposits, withdrawals and transfers per UTC day, counted and totalled (`bank_daily`).
 *
 * @example
 * const runner = createSqliteProjectionRunner(store, [sqliteDaily]);
 */
export const sqliteDaily = sqliteProjection({
  ...dailyInfo,
  tables: {
    bank_daily: `day TEXT PRIMARY KEY, deposit_count INTEGER NOT NULL, deposit_total INTEGER NOT NULL,
      withdrawal_count INTEGER NOT NULL, withdrawal_total INTEGER NOT NULL, transfer_count INTEGER NOT NULL,
      transfer_total INTEGER NOT NULL`,
  },
  handler: (db, t) => {
    const add = db.prepare(
      `INSERT INTO ${t.bank_daily} VALUES (@day, @depositCount, @depositTotal, @withdrawalCount,
         @withdrawalTotal, @transferCount, @transferTotal)
       ON CONFLICT (day) DO UPDATE SET deposit_count = deposit_count + excluded.deposit_count,
         deposit_total = deposit_total + excluded.deposit_total,
         withdrawal_count = withdrawal_count + excluded.withdrawal_count,
         withdrawal_total = withdrawal_total + excluded.withdrawal_total,
         transfer_count = transfer_count + excluded.transfer_count,
         transfer_total = transfer_total + excluded.transfer_total`,
    );
    return (e) => {
      const delta = dailyDelta(asAccountEvent(e));
      if (delta) add.run(delta);
    };
  },
});
