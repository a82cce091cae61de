import { hindsightPostgres } from './hindsight-postgres.js';
import { hindsightSqlite } from './hindsight-sqlite.js';
import { rawPostgres } from './raw-postgres.js';
import { rawSqlite } from './raw-sqlite.js';
import type { Backend, BenchSystem } from './types.js';

/** The systems measured on a backend, ours first. */
export function systemsFor(backend: Backend): BenchSystem[] {
  return backend === 'sqlite' ? [hindsightSqlite, rawSqlite] : [hindsightPostgres, rawPostgres];
}

export function findSystem(backend: Backend, id: string): BenchSystem {
  const system = systemsFor(backend).find((s) => s.id === id);
  if (!system) throw new Error(`no bench system ${id} on ${backend}`);
  return system;
}
