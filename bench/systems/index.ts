import { loadHindsightPostgres } from './hindsight-postgres.js';
import { hindsightSqlite } from './hindsight-sqlite.js';
import { rawPostgres } from './raw-postgres.js';
import { rawSqlite } from './raw-sqlite.js';
import type { Backend, BenchSystem } from './types.js';

/** The systems measured on a backend, ours first; empty when ours is not built for that backend yet. */
export async function systemsFor(backend: Backend): Promise<BenchSystem[]> {
  if (backend === 'sqlite') return [hindsightSqlite, rawSqlite];
  const ours = await loadHindsightPostgres();
  return ours ? [ours, rawPostgres] : [];
}

export async function findSystem(backend: Backend, id: string): Promise<BenchSystem> {
  const system = (await systemsFor(backend)).find((s) => s.id === id);
  if (!system) throw new Error(`no bench system ${id} on ${backend}`);
  return system;
}
