export type { PostgresStoreHooks } from './append.js';
export {
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from './store.js';
