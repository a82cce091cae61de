import { createPostgresEventStore } from '../../src/postgres/index.js';
import { storeLog } from './hindsight-sqlite.js';
import { poolSize } from './raw-postgres.js';
import type { BenchSystem } from './types.js';

/** Hindsight's PostgreSQL store on its own pool, as large as the raw driver's. */
export const hindsightPostgres: BenchSystem = {
  id: 'hindsight',
  role: 'ours',
  backend: 'postgres',
  label: 'Hindsight',
  durabilities: ['strict'],
  durabilityNote: () => 'synchronous_commit=on: each COMMIT waits for the WAL flush',
  async open(target) {
    if (target.backend !== 'postgres') throw new Error('hindsight-postgres needs a PostgreSQL target');
    const { connectionString, schema } = target;
    return storeLog(await createPostgresEventStore({ connectionString, schema, poolSize }));
  },
};
