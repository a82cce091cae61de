import { emmettPostgres } from './emmett-postgres.js';
import { emmettSqlite } from './emmett-sqlite.js';
import { hindsightPostgres } from './hindsight-postgres.js';
import { hindsightSqlite } from './hindsight-sqlite.js';
import { rawPostgres } from './raw-postgres.js';
import { rawSqlite } from './raw-sqlite.js';
import type { Backend, BenchSystem } from './types.js';

/** The systems measured on a backend: ours, the raw driver, and with `peers` Emmett. */
export function systemsFor(backend: Backend, peers = false): BenchSystem[] {
  const [ours, raw, peer] =
    backend === 'sqlite'
      ? [hindsightSqlite, rawSqlite, emmettSqlite]
      : [hindsightPostgres, rawPostgres, emmettPostgres];
  return peers ? [ours, raw, peer] : [ours, raw];
}

export function findSystem(backend: Backend, id: string): BenchSystem {
  const system = systemsFor(backend, true).find((s) => s.id === id);
  if (!system) throw new Error(`no bench system ${id} on ${backend}`);
  return system;
}
