import type { ProjectionDefinition, SnapshotStore } from 'hindsight';
import { problemOf } from 'hindsight/server';
import type { Alert } from './projections/alerts.js';
import type { BalanceRow } from './projections/balances.js';
import type { DailyRow } from './projections/daily.js';
import type { HistoryEntry } from './projections/history.js';

/**
 * The tables of a copy of a view, by the names queries use (the runner's `buildAsOf` gives a past copy's).
 * Omitted: the live views.
 */
export type ViewTables = Record<string, string>;

/** How the bank's route module reads its projections' views, whatever database holds them. */
export interface BankQueries {
  /** One account's row, from the live view or from a copy built as of the past. */
  account(accountId: string, tables?: ViewTables): Promise<BalanceRow | undefined>;
  /** Accounts in id order, after `after` (exclusive). */
  accounts(after: string | undefined, limit: number): Promise<BalanceRow[]>;
  /** An account's audit trail in version order, from version `from` (inclusive). */
  history(accountId: string, from: number, limit: number): Promise<HistoryEntry[]>;
  /** The days with activity from `from` to `to` (`YYYY-MM-DD`, inclusive). */
  daily(from: string, to: string): Promise<DailyRow[]>;
  /** Alerts in the order they were raised (position, then id), after `after` (exclusive), of one account or all. */
  alerts(after: AlertCursor | undefined, limit: number, accountId?: string): Promise<Alert[]>;
}

/** Where a page of alerts ends: the last alert's position and id. */
export interface AlertCursor {
  position: number;
  alertId: string;
}

/** The bank on one kind of database: its projections, the queries that read their views, and its snapshots. */
export interface BankViews {
  projections: readonly ProjectionDefinition[];
  queries: BankQueries;
  /** Where account states are snapshotted (every 100 events), in the same database. */
  snapshots: SnapshotStore;
}

/**
 * The queries, answering 503 `NotCaughtUp` instead of failing while a view does not exist yet (the first
 * start of a server, before its runner has made the views' tables).
 *
 * @example
 * const queries = untilViewsExist(raw, (e) => /no such table/.test(String(e)));
 */
export function untilViewsExist(queries: BankQueries, viewMissing: (error: unknown) => boolean): BankQueries {
  const guard =
    <A extends unknown[], R>(query: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await query(...args);
      } catch (error) {
        if (!viewMissing(error)) throw error;
        throw problemOf('NotCaughtUp', 'the bank’s views are being made; retry in a moment');
      }
    };
  return {
    account: guard(queries.account),
    accounts: guard(queries.accounts),
    history: guard(queries.history),
    daily: guard(queries.daily),
    alerts: guard(queries.alerts),
  };
}
