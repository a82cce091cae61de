import { accountSnapshots } from '../domains/bank/command-routes.js';
import { bankRoutes } from '../domains/bank/routes.js';
import { sqliteBankViews } from '../domains/bank/sqlite/queries.js';
import { transferSaga } from '../domains/bank/transfer.js';
import type { ProjectionDefinition } from '../projections/projection.js';
import { createSagaRunner, type SagaDefinition, type SagaRunner } from '../sagas/index.js';
import type { RouteModule } from '../server/routes.js';
import type { OpenStore } from './open-store.js';

/** What `hindsight serve` runs besides the generic API: a domain's routes, the projections they read, its sagas. */
export interface ServiceDefinition {
  /** Route modules added to the server (a domain's endpoints). */
  modules: readonly RouteModule[];
  /** Projections the server's runner keeps up to date. */
  projections: readonly ProjectionDefinition[];
  /** Runs the domain's sagas (the bank's transfers); `serve` starts and stops it. */
  sagas: SagaRunner;
}

/**
 * The service `serve` runs on an open store: the bank, with its projections in the store's own database
 * (SQLite tables in its file, or PostgreSQL tables in its schema). The generic API (log, live feed,
 * projections, health, OpenAPI) is always there; a domain plugs in by adding its route module and projections.
 */
export async function serviceFor(opened: OpenStore): Promise<ServiceDefinition> {
  const views =
    opened.kind === 'sqlite'
      ? sqliteBankViews(opened.store)
      : // Loaded only here, so a SQLite server never loads the pg driver.
        (await import('../domains/bank/postgres/queries.js')).postgresBankViews(opened.store);
  // Transfers are sagas; on PostgreSQL one server instance at a time runs them (advisory-lock leases).
  const saga = transferSaga(opened.store, { snapshots: accountSnapshots(views.snapshots) });
  const ownership =
    opened.kind === 'sqlite'
      ? undefined
      : (await import('../postgres/ownership.js')).postgresOwnership(opened.store);
  const sagas = createSagaRunner(
    opened.store,
    [saga as SagaDefinition<unknown>],
    ownership ? { ownership } : {},
  );
  return { modules: [bankRoutes(views, { runner: sagas, saga })], projections: views.projections, sagas };
}
