import { createPostgresEventStore, type PostgresEventStore } from '../../src/postgres/index.js';
import { createSqliteEventStore, type SqliteEventStore } from '../../src/sqlite/index.js';
import { poolSize } from '../systems/raw-postgres.js';
import type { Backend, Durability, Target } from '../systems/types.js';
import type { Size, SizeFor } from './types.js';

/** One figure of a measured scenario: a latency, a rate or a ratio, with its unit. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

/** A bound a figure must respect, e.g. `load p50 (ms) <= 30`. */
export interface Bound {
  figure: string;
  atMost?: number;
  atLeast?: number;
}

/** What one measured scenario found on one backend. */
export interface MeasuredResult {
  scenario: string;
  title: string;
  description: string;
  backend: Backend;
  durability: Durability;
  size: Size;
  figures: Figure[];
  bounds: Bound[];
  met: boolean;
  misses: string[];
  /** What the figures mean beyond their names: how they were taken, what limits them. */
  notes: string[];
}

/**
 * A scenario measured on Hindsight alone (no raw driver does command handling or projections): it reports
 * figures of its own (latencies, rates) against absolute bounds from the issues.
 */
export interface MeasuredScenario {
  name: string;
  title: string;
  description: string;
  /** The durability each backend runs at; PostgreSQL is always `strict` (synchronous_commit=on). */
  durability: Durability;
  size(at: SizeFor): Size;
  bounds(backend: Backend): Bound[];
  measure(context: MeasureContext, size: Size): Promise<{ figures: Figure[]; notes?: string[] }>;
}

export interface MeasureContext {
  backend: Backend;
  durability: Durability;
  /** A fresh log for this scenario (removed after it); call again for another. */
  target(label: string): Target;
  log(line: string): void;
}

export type OpenedStore =
  | { backend: 'sqlite'; store: SqliteEventStore }
  | { backend: 'postgres'; store: PostgresEventStore };

/** Opens Hindsight's store on a target at a durability (PostgreSQL's is set by the server). */
export async function openStore(target: Target, durability: Durability): Promise<OpenedStore> {
  if (target.backend === 'sqlite') {
    return { backend: 'sqlite', store: createSqliteEventStore({ file: target.file, durability }) };
  }
  const store = await createPostgresEventStore({
    connectionString: target.connectionString,
    schema: target.schema,
    poolSize,
  });
  return { backend: 'postgres', store };
}

/** The value at quantile `q` (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** p50, p99 and max of durations, in milliseconds, as figures named `<prefix> p50` etc. */
export function latencyFigures(prefix: string, durations: readonly number[]): Figure[] {
  const sorted = [...durations].sort((a, b) => a - b);
  const ms = (n: number) => Math.round(n * 1000) / 1000;
  return [
    { name: `${prefix} p50`, value: ms(quantile(sorted, 0.5)), unit: 'ms' },
    { name: `${prefix} p99`, value: ms(quantile(sorted, 0.99)), unit: 'ms' },
    { name: `${prefix} max`, value: ms(sorted[sorted.length - 1] ?? Number.NaN), unit: 'ms' },
  ];
}

/** Checks the figures against the bounds; returns what missed, in words. */
export function judgeBounds(figures: readonly Figure[], bounds: readonly Bound[]): string[] {
  const misses: string[] = [];
  for (const b of bounds) {
    const f = figures.find((x) => x.name === b.figure);
    if (!f) {
      misses.push(`${b.figure}: not measured`);
      continue;
    }
    if (b.atMost !== undefined && !(f.value <= b.atMost))
      misses.push(`${b.figure} ${f.value} ${f.unit} > ${b.atMost}`);
    if (b.atLeast !== undefined && !(f.value >= b.atLeast))
      misses.push(`${b.figure} ${f.value} ${f.unit} < ${b.atLeast}`);
  }
  return misses;
}
