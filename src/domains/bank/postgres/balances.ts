import { postgresProjection } from 'hindsight/postgres';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from '../projections/account-events.js';
import { applyToBalance, type BalanceRow, balancesInfo } from '../projections/balances.js';
import { columns, int } from './rows.js';

/** The columns of a balances row, as selected by `balanceColumns`. */
// Casts are aliased: ORDER BY a name of the select list would sort by its text ("10" before "9").
export const balanceColumns = `account_id, owner, currency, balance::text AS balance_text, status, version::text AS version_text, position::text AS position_text,
  updated_at`;

export const balanceRow = (r: unknown[]): BalanceRow => ({
  accountId: r[0] as string,
  owner: r[1] as string,
  currency: r[2] as string,
  balance: int(r[3]),
  status: r[4] === 'closed' ? 'closed' : 'open',
  version: int(r[5]),
  position: int(r[6]),
  updatedAt: r[7] as string,
});

const keys = [
  'accountId',
  'owner',
  'currency',
  'balance',
  'status',
  'version',
  'position',
  'updatedAt',
] as const satisfies readonly (keyof BalanceRow)[];

/**
 * Every account's balance, owner, currency, status and version, in the store's PostgreSQL schema
 * (`bank_balances`). A batch reads the rows of the accounts it touches, folds its events onto them in memory
 * and writes them back with one upsert.
 *
 * @example
 * const runner = createPostgresProjectionRunner(store, [postgresBalances]);
 */
export const postgresBalances = postgresProjection({
  ...balancesInfo,
  tables: {
    bank_balances: `account_id text PRIMARY KEY, owner text NOT NULL, currency text NOT NULL,
      balance bigint NOT NULL, status text NOT NULL, version bigint NOT NULL, position bigint NOT NULL,
      updated_at text NOT NULL`,
  },
  handler: (t) => ({
    async apply(client, events) {
      const touched = [...new Set(events.map((e) => accountIdOf(e.streamId)))];
      const stored = await client.query<unknown[]>({
        text: `SELECT ${balanceColumns} FROM ${t.bank_balances} WHERE account_id = ANY($1::text[])`,
        values: [touched],
        rowMode: 'array',
      });
      const rows = new Map(stored.rows.map((r) => [r[0] as string, balanceRow(r)]));
      for (const e of events) {
        const id = accountIdOf(e.streamId);
        rows.set(id, applyToBalance(rows.get(id), asAccountEvent(e)));
      }
      await client.query(
        `INSERT INTO ${t.bank_balances} (account_id, owner, currency, balance, status, version, position, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[],
           $7::bigint[], $8::text[])
         ON CONFLICT (account_id) DO UPDATE SET owner = excluded.owner, currency = excluded.currency,
           balance = excluded.balance, status = excluded.status, version = excluded.version,
           position = excluded.position, updated_at = excluded.updated_at`,
        columns([...rows.values()], keys),
      );
    },
  }),
});
