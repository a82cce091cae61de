import { openStore } from '../scenarios/measured.js';
import { openedLog } from './hindsight-sqlite.js';
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
    return openedLog(await openStore(target, 'strict'));
  },
};
