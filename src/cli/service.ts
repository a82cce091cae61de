import type { ProjectionDefinition } from '../projections/projection.js';
import type { RouteModule } from '../server/routes.js';

/** What `hindsight serve` runs besides the generic API: a domain's routes and the projections they read. */
export interface ServiceDefinition {
  /** Route modules added to the server (a domain's endpoints). */
  modules: readonly RouteModule[];
  /** Projections the server's runner keeps up to date. */
  projections: readonly ProjectionDefinition[];
}

/**
 * The service `serve` runs. The generic API (log, live feed, projections, health, OpenAPI) is always there;
 * a domain plugs in by adding its route module and projections here.
 */
export const service: ServiceDefinition = {
  modules: [],
  projections: [],
};
