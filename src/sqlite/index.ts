export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from './store.js';
export { createSqliteSnapshotStore } from './snapshots.js';
