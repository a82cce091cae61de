export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions } from './store.js';
