import type { RouteModule } from 'hindsight/server';
import { accountCommandRoutes } from './command-routes.js';
import type { BankQueries } from './queries.js';
import { accountQueryRoutes } from './query-routes.js';

/**
 * The bank's HTTP API (accounts, history, daily report, alerts) as a route module, reading its views through
 * `queries` (`sqliteBankViews(store).queries` or `postgresBankViews(store).queries`).
 *
 * @example
 * const { projections, queries } = sqliteBankViews(store);
 * const runner = createSqliteProjectionRunner(store, projections);
 * await runner.start();
 * const app = await buildServer({ store, tokens, runner, modules: [bankRoutes(queries)] });
 */
export function bankRoutes(queries: BankQueries): RouteModule {
  return (routes, { store, runner }) => {
    accountCommandRoutes(routes, store);
    accountQueryRoutes(routes, queries, runner);
  };
}
