import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EventStore } from '../../src/store/event-store.js';
import { storeLog } from './hindsight-sqlite.js';
import { poolSize } from './raw-postgres.js';
import type { BenchSystem } from './types.js';

type CreateStore = (options: {
  connectionString: string;
  schema: string;
  poolSize: number;
}) => EventStore | Promise<EventStore>;

const modulePath = fileURLToPath(new URL('../../src/postgres/index.ts', import.meta.url));

/** Hindsight's PostgreSQL store, when `src/postgres` exists; undefined until then. */
export async function loadHindsightPostgres(): Promise<BenchSystem | undefined> {
  if (!existsSync(modulePath)) return undefined;
  const module = (await import(modulePath)) as { createPostgresEventStore?: CreateStore };
  const create = module.createPostgresEventStore;
  if (typeof create !== 'function') return undefined;
  return {
    id: 'hindsight',
    role: 'ours',
    backend: 'postgres',
    label: 'Hindsight',
    durabilities: ['strict'],
    durabilityNote: () => 'synchronous_commit=on: each COMMIT waits for the WAL flush',
    async open(target) {
      if (target.backend !== 'postgres') throw new Error('hindsight-postgres needs a PostgreSQL target');
      return storeLog(
        await create({ connectionString: target.connectionString, schema: target.schema, poolSize }),
      );
    },
  };
}
