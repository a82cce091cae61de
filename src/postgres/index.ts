export type { PostgresStoreHooks } from './append.js';
export { type PostgresOwnershipOptions, postgresOwnership } from './ownership.js';
export {
  createPostgresProjectionRunner,
  type PostgresProjection,
  type PostgresProjectionHandler,
  postgresProjection,
  postgresProjectionBackend,
  type ViewTables,
} from './projections.js';
export { createPostgresSnapshotStore } from './snapshots.js';
export {
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from './store.js';
