export type { PostgresStoreHooks } from './append.js';
export { createPostgresSnapshotStore } from './snapshots.js';
export {
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from './store.js';
