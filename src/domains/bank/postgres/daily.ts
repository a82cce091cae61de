import { postgresProjection } from 'hindsight/postgres';
import { asAccountEvent } from '../projections/account-events.js';
import { addDaily, type DailyRow, dailyCounters, dailyDelta, dailyInfo } from '../projections/daily.js';
import { columns, int } from './rows.js';

// Casts are aliased: ORDER BY a name of the select list would sort by its text ("10" before "9").
export const dailyColumns = `day, deposit_count::text AS deposit_count_text, deposit_total::text AS deposit_total_text, withdrawal_count::text AS withdrawal_count_text,
  withdrawal_total::text AS withdrawal_total_text, transfer_count::text AS transfer_count_text, transfer_total::text AS transfer_total_text`;

export const dailyRow = (r: unknown[]): DailyRow => ({
  day: r[0] as string,
  depositCount: int(r[1]),
  depositTotal: int(r[2]),
  withdrawalCount: int(r[3]),
  withdrawalTotal: int(r[4]),
  transferCount: int(r[5]),
  transferTotal: int(r[6]),
});

/**
 * Deposits, withdrawals and transfers per UTC day, counted and totalled (`bank_daily`): a batch is added up per
 * day in memory, then added to the stored days with one upsert.
 *
 * @example
 * const runner = createPostgresProjectionRunner(store, [postgresDaily]);
 */
export const postgresDaily = postgresProjection({
  ...dailyInfo,
  tables: {
    bank_daily: `day text PRIMARY KEY, deposit_count bigint NOT NULL, deposit_total bigint NOT NULL,
      withdrawal_count bigint NOT NULL, withdrawal_total bigint NOT NULL, transfer_count bigint NOT NULL,
      transfer_total bigint NOT NULL`,
  },
  handler: (t) => ({
    async apply(client, events) {
      const days = new Map<string, DailyRow>();
      for (const e of events) {
        const delta = dailyDelta(asAccountEvent(e));
        if (!delta) continue;
        const sum = days.get(delta.day);
        days.set(delta.day, sum ? addDaily(sum, delta) : delta);
      }
      if (days.size === 0) return;
      await client.query(
        `INSERT INTO ${t.bank_daily} SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],
           $5::bigint[], $6::bigint[], $7::bigint[])
         ON CONFLICT (day) DO UPDATE SET
           deposit_count = ${t.bank_daily}.deposit_count + excluded.deposit_count,
           deposit_total = ${t.bank_daily}.deposit_total + excluded.deposit_total,
           withdrawal_count = ${t.bank_daily}.withdrawal_count + excluded.withdrawal_count,
           withdrawal_total = ${t.bank_daily}.withdrawal_total + excluded.withdrawal_total,
           transfer_count = ${t.bank_daily}.transfer_count + excluded.transfer_count,
           transfer_total = ${t.bank_daily}.transfer_total + excluded.transfer_total`,
        columns([...days.values()], ['day', ...dailyCounters]),
      );
    },
  }),
});
