export {
  createSqliteProjectionRunner,
  type SqliteProjection,
  sqliteProjection,
  sqliteProjectionBackend,
  type ViewTables,
} from './projections.js';
export { createSqliteSnapshotStore } from './snapshots.js';
export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from './store.js';
