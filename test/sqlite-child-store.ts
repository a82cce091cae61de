// The module the kill -9 contract case's writer process imports to open the SQLite log it is given.
import { createSqliteEventStore, type SqliteEventStoreOptions } from '../src/sqlite/index.js';
import type { EventStore } from '../src/store/event-store.js';

export async function openStore(config: SqliteEventStoreOptions): Promise<EventStore> {
  return createSqliteEventStore(config);
}
