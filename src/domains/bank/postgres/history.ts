import { postgresProjection } from 'hindsight/postgres';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from '../projections/account-events.js';
import { type HistoryEntry, historyEntry, historyInfo } from '../projections/history.js';
import { columns, int } from './rows.js';

// Casts are aliased: ORDER BY a name of the select list would sort by its text ("10" before "9").
export const historyColumns = `event_id, account_id, position::text AS position_text, version::text AS version_text, type, amount::text AS amount_text,
  balance_after::text AS balance_after_text, actor, at, correlation_id, transfer_id`;

export const historyRow = (r: unknown[]): HistoryEntry => ({
  eventId: r[0] as string,
  accountId: r[1] as string,
  position: int(r[2]),
  version: int(r[3]),
  type: r[4] as string,
  amount: r[5] === null ? null : int(r[5]),
  balanceAfter: int(r[6]),
  actor: r[7] as string | null,
  at: r[8] as string,
  correlationId: r[9] as string | null,
  transferId: r[10] as string | null,
});

const keys = [
  'eventId',
  'accountId',
  'position',
  'version',
  'type',
  'amount',
  'balanceAfter',
  'actor',
  'at',
  'correlationId',
  'transferId',
] as const satisfies readonly (keyof HistoryEntry)[];

/**
 * Every account event with its actor, time, correlation id and the balance it left (`bank_history`). A batch
 * reads the last balance of each account it touches, then inserts its entries with one statement.
 *
 * @example
 * const runner = createPostgresProjectionRunner(store, [postgresHistory]);
 */
export const postgresHistory = postgresProjection({
  ...historyInfo,
  tables: {
    bank_history: `event_id text PRIMARY KEY, account_id text NOT NULL, position bigint NOT NULL,
      version bigint NOT NULL, type text NOT NULL, amount bigint, balance_after bigint NOT NULL, actor text,
      at text NOT NULL, correlation_id text, transfer_id text, UNIQUE (account_id, version)`,
  },
  handler: (t) => ({
    async apply(client, events) {
      const touched = [...new Set(events.map((e) => accountIdOf(e.streamId)))];
      const last = await client.query<[string, string]>({
        text: `SELECT DISTINCT ON (account_id) account_id, balance_after::text FROM ${t.bank_history}
               WHERE account_id = ANY($1::text[]) ORDER BY account_id, version DESC`,
        values: [touched],
        rowMode: 'array',
      });
      const balances = new Map(last.rows.map(([id, balance]) => [id, int(balance)]));
      const entries = events.map((e) => {
        const id = accountIdOf(e.streamId);
        const entry = historyEntry(asAccountEvent(e), balances.get(id) ?? 0);
        balances.set(id, entry.balanceAfter);
        return entry;
      });
      await client.query(
        `INSERT INTO ${t.bank_history} (event_id, account_id, position, version, type, amount, balance_after,
           actor, at, correlation_id, transfer_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[],
           $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[])`,
        columns(entries, keys),
      );
    },
  }),
});
