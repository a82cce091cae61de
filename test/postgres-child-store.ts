// The module the kill -9 contract case's writer process imports to open the PostgreSQL log it is given.
import { createPostgresEventStore } from '../src/postgres/index.js';
import type { EventStore } from '../src/store/event-store.js';

export async function openStore(config: { connectionString: string; schema: string }): Promise<EventStore> {
  return createPostgresEventStore({
    connectionString: config.connectionString,
    schema: config.schema,
    poolSize: 4,
  });
}
