import type Database from 'better-sqlite3';
import { createSqliteSnapshotStore, type SqliteEventStore } from 'hindsight/sqlite';
import { type BankQueries, type BankViews, untilViewsExist, type ViewTables } from '../queries.js';
import { type AlertRecord, alertRow, sqliteAlerts } from './alerts.js';
import { type BalanceRecord, balanceRow, sqliteBalances } from './balances.js';
import { type DailyRecord, dailyRow, sqliteDaily } from './daily.js';
import { type HistoryRecord, historyRow, sqliteHistory } from './history.js';

/**
 * The bank's projections in a SQLite store's file, and the queries on their views.
 *
 * @example
 * const views = sqliteBankViews(store);
 * const runner = createSqliteProjectionRunner(store, views.projections);
 * const app = await buildServer({ store, tokens, runner, modules: [bankRoutes(views)] });
 */
export function sqliteBankViews(store: SqliteEventStore): BankViews {
  const db = store.database;
  // Statements on the live views are prepared once, when first used (the views exist once the runner started).
  const prepared = new Map<string, Database.Statement<unknown[]>>();
  const statement = (sql: string) => {
    let s = prepared.get(sql);
    if (!s) {
      s = db.prepare<unknown[]>(sql);
      prepared.set(sql, s);
    }
    return s;
  };

  const queries: BankQueries = {
    async account(accountId, tables?: ViewTables) {
      const sql = 'SELECT * FROM "bank_balances" WHERE account_id = ?';
      if (tables) {
        const row = db
          .prepare<[string], BalanceRecord>(`SELECT * FROM "${tables.bank_balances}" WHERE account_id = ?`)
          .get(accountId);
        return row && balanceRow(row);
      }
      const row = statement(sql).get(accountId) as BalanceRecord | undefined;
      return row && balanceRow(row);
    },
    async accounts(after, limit) {
      const rows = statement(
        'SELECT * FROM "bank_balances" WHERE account_id > ? ORDER BY account_id LIMIT ?',
      ).all(after ?? '', limit) as BalanceRecord[];
      return rows.map(balanceRow);
    },
    async history(accountId, from, limit) {
      const rows = statement(
        'SELECT * FROM "bank_history" WHERE account_id = ? AND version >= ? ORDER BY version LIMIT ?',
      ).all(accountId, from, limit) as HistoryRecord[];
      return rows.map(historyRow);
    },
    async daily(from, to) {
      const rows = statement('SELECT * FROM "bank_daily" WHERE day BETWEEN ? AND ? ORDER BY day').all(
        from,
        to,
      ) as DailyRecord[];
      return rows.map(dailyRow);
    },
    async alerts(after, limit, accountId) {
      const rows = statement(
        `SELECT * FROM "bank_alerts" WHERE (position, alert_id) > (?, ?) AND (? IS NULL OR account_id = ?)
         ORDER BY position, alert_id LIMIT ?`,
      ).all(
        after?.position ?? 0,
        after?.alertId ?? '',
        accountId ?? null,
        accountId ?? null,
        limit,
      ) as AlertRecord[];
      return rows.map(alertRow);
    },
  };
  return {
    projections: [sqliteBalances, sqliteHistory, sqliteDaily, sqliteAlerts],
    snapshots: createSqliteSnapshotStore(store),
    // A temporary copy's tables exist while it is queried; only the live views can be missing.
    queries: untilViewsExist(queries, (e) => /no such table/.test(String(e))),
  };
}
