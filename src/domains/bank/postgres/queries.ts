import { createPostgresSnapshotStore, type PostgresEventStore } from 'hindsight/postgres';
import { type BankQueries, type BankViews, untilViewsExist, type ViewTables } from '../queries.js';
import { alertColumns, alertRow, postgresAlerts } from './alerts.js';
import { balanceColumns, balanceRow, postgresBalances } from './balances.js';
import { dailyColumns, dailyRow, postgresDaily } from './daily.js';
import { historyColumns, historyRow, postgresHistory } from './history.js';

/**
 * The bank's projections in a PostgreSQL store's schema, and the queries on their views.
 *
 * @example
 * const views = postgresBankViews(store);
 * const runner = createPostgresProjectionRunner(store, views.projections);
 * const app = await buildServer({ store, tokens, runner, modules: [bankRoutes(views)] });
 */
export function postgresBankViews(store: PostgresEventStore): BankViews {
  const schema = `"${store.schema.replace(/"/g, '""')}"`;
  const view = (name: string) => `${schema}."${name}"`;
  const rows = async (text: string, values: unknown[]) =>
    (await store.pool.query<unknown[]>({ text, values, rowMode: 'array' })).rows;

  const queries: BankQueries = {
    async account(accountId, tables?: ViewTables) {
      const from = tables?.bank_balances ?? view('bank_balances');
      const [row] = await rows(`SELECT ${balanceColumns} FROM ${from} WHERE account_id = $1`, [accountId]);
      return row && balanceRow(row);
    },
    async accounts(after, limit) {
      const found = await rows(
        `SELECT ${balanceColumns} FROM ${view('bank_balances')} WHERE account_id COLLATE "C" > $1
         ORDER BY account_id COLLATE "C" LIMIT $2`,
        [after ?? '', limit],
      );
      return found.map(balanceRow);
    },
    async history(accountId, from, limit) {
      const found = await rows(
        `SELECT ${historyColumns} FROM ${view('bank_history')} WHERE account_id = $1 AND version >= $2
         ORDER BY version LIMIT $3`,
        [accountId, from, limit],
      );
      return found.map(historyRow);
    },
    async daily(from, to) {
      const found = await rows(
        `SELECT ${dailyColumns} FROM ${view('bank_daily')} WHERE day BETWEEN $1 AND $2 ORDER BY day`,
        [from, to],
      );
      return found.map(dailyRow);
    },
    async alerts(after, limit, accountId) {
      const found = await rows(
        `SELECT ${alertColumns} FROM ${view('bank_alerts')}
         WHERE (position, alert_id COLLATE "C") > ($1::bigint, $2::text COLLATE "C")
           AND ($3::text IS NULL OR account_id = $3)
         ORDER BY position, alert_id COLLATE "C" LIMIT $4`,
        [after?.position ?? 0, after?.alertId ?? '', accountId ?? null, limit],
      );
      return found.map(alertRow);
    },
  };
  return {
    projections: [postgresBalances, postgresHistory, postgresDaily, postgresAlerts],
    snapshots: createPostgresSnapshotStore(store),
    // 42P01: undefined_table, before the runner has made the views.
    queries: untilViewsExist(queries, (e) => (e as { code?: unknown } | null)?.code === '42P01'),
  };
}
