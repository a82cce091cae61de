import { sqliteProjection } from 'hindsight/sqlite';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from '../projections/account-events.js';
import { type HistoryEntry, historyEntry, historyInfo } from '../projections/history.js';

/** The columns of an audit-trail entry, as SQLite holds them. */
export interface HistoryRecord {
  event_id: string;
  account_id: string;
  position: number;
  version: number;
  type: string;
  amount: number | null;
  balance_after: number;
  actor: string | null;
  at: string;
  correlation_id: string | null;
  transfer_id: string | null;
}

export const historyRow = (r: HistoryRecord): HistoryEntry => ({
  eventId: r.event_id,
  accountId: r.account_id,
  position: r.position,
  version: r.version,
  type: r.type,
  amount: r.amount,
  balanceAfter: r.balance_after,
  actor: r.actor,
  at: r.at,
  correlationId: r.correlation_id,
  transferId: r.transfer_id,
});

/**
 * Every account event with its actor, time, correlation id and the balance it left (`bank_history`).
 *
 * @example
 * const runner = createSqliteProjectionRunner(store, [sqliteHistory]);
 */
export const sqliteHistory = sqliteProjection({
  ...historyInfo,
  tables: {
    bank_history: `event_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, position INTEGER NOT NULL,
      version INTEGER NOT NULL, type TEXT NOT NULL, amount INTEGER, balance_after INTEGER NOT NULL, actor TEXT,
      at TEXT NOT NULL, correlation_id TEXT, transfer_id TEXT`,
  },
  setup: (t) =>
    `CREATE UNIQUE INDEX "${t.bank_history}_by_account" ON "${t.bank_history}" (account_id, version)`,
  handler: (db, t) => {
    const last = db
      .prepare<[string], number>(
        `SELECT balance_after FROM ${t.bank_history} WHERE account_id = ? ORDER BY version DESC LIMIT 1`,
      )
      .pluck();
    const insert = db.prepare(
      `INSERT INTO ${t.bank_history} (event_id, account_id, position, version, type, amount, balance_after,
         actor, at, correlation_id, transfer_id)
       VALUES (@eventId, @accountId, @position, @version, @type, @amount, @balanceAfter, @actor, @at,
         @correlationId, @transferId)`,
    );
    return (e) => {
      insert.run(historyEntry(asAccountEvent(e), last.get(accountIdOf(e.streamId)) ?? 0));
    };
  },
});
