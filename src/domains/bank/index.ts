// The bank ledger: the account decider, its projections (pure logic, and their SQLite tables) and its HTTP API.
// The PostgreSQL projections are in ./postgres/index.js, so importing this never loads the pg driver.
export {
  type AccountCommand,
  AccountError,
  type AccountErrorCode,
  type AccountEvent,
  type AccountState,
  account,
  accountEventTypes,
  accountIdOf,
  accountStream,
  maxAmount,
  maxBalance,
  type TransferLegs,
} from './account.js';
export { balanceDelta } from './projections/account-events.js';
export {
  type Alert,
  type AlertRule,
  alertStep,
  alertsInfo,
  type BurstState,
  burstCount,
  burstWindowMs,
  largeAmount,
  noBurst,
} from './projections/alerts.js';
export { applyToBalance, type BalanceRow, balancesInfo } from './projections/balances.js';
export { addDaily, type DailyRow, dailyDelta, dailyInfo, emptyDay } from './projections/daily.js';
export { type BankViewsInMemory, foldBankViews } from './projections/fold.js';
export { type HistoryEntry, historyEntry, historyInfo } from './projections/history.js';
export type { AlertCursor, BankQueries, BankViews, ViewTables } from './queries.js';
export { bankRoutes } from './routes.js';
export { sqliteAlerts } from './sqlite/alerts.js';
export { sqliteBalances } from './sqlite/balances.js';
export { sqliteDaily } from './sqlite/daily.js';
export { sqliteHistory } from './sqlite/history.js';
export { sqliteBankViews } from './sqlite/queries.js';
