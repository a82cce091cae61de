// The bank's views on PostgreSQL: importing this loads the pg driver, so it is apart from ../index.js.
export { postgresAlerts } from './alerts.js';
export { postgresBalances } from './balances.js';
export { postgresDaily } from './daily.js';
export { postgresHistory } from './history.js';
export { postgresBankViews } from './queries.js';
