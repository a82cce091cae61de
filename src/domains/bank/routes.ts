import type { SagaDefinition, SagaRunner } from 'hindsight';
import type { RouteModule } from 'hindsight/server';
import { accountCommandRoutes } from './command-routes.js';
import type { BankViews } from './queries.js';
import { accountQueryRoutes } from './query-routes.js';
import type { TransferInput } from './transfer.js';
import { transferRoutes } from './transfer-routes.js';

/**
 * The bank's HTTP API (accounts, history, daily report, alerts, and transfers when given their saga runner) as a
 * route module: commands snapshot account
 * states in `views.snapshots`, reads go through `views.queries` (`sqliteBankViews(store)` or
 * `postgresBankViews(store)` make both).
 *
 * @example
 * const views = sqliteBankViews(store);
 * const runner = createSqliteProjectionRunner(store, views.projections);
 * await runner.start();
 * const app = await buildServer({ store, tokens, runner, modules: [bankRoutes(views)] });
 */
export function bankRoutes(
  views: Pick<BankViews, 'queries' | 'snapshots'>,
  transfers?: { runner: SagaRunner; saga: SagaDefinition<TransferInput> },
): RouteModule {
  return (routes, { store, runner }) => {
    accountCommandRoutes(routes, store, views.snapshots);
    accountQueryRoutes(routes, views.queries, { store, runner });
    if (transfers) transferRoutes(routes, transfers);
  };
}
