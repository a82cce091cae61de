import { bankRoutes } from '../domains/bank/routes.js';
import { sqliteBankViews } from '../domains/bank/sqlite/queries.js';
import type { ProjectionDefinition } from '../projections/projection.js';
import type { RouteModule } from '../server/routes.js';
import type { OpenStore } from './open-store.js';

/** What `hindsight serve` runs besides the generic API: a domain's routes and the projections they read. */
export interface ServiceDefinition {
  /** Route modules added to the server (a domain's endpoints). */
  modules: readonly RouteModule[];
  /** Projections the server's runner keeps up to date. */
  projections: readonly ProjectionDefinition[];
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
  return { modules: [bankRoutes(views)], projections: views.projections };
}
