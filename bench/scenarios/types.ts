import type { Backend, BenchSystem, Durability, OpenLog, Target } from '../systems/types.js';

/** How big a scenario is: its counts, recorded with the results. */
export type Size = Record<string, number>;

/** What one timed run found. */
export interface Sample {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /**
   * CPU time (user + system) of this process during the run, in microseconds per event: on a busy machine it
   * moves less than the wall-clock rate. On PostgreSQL it leaves out the server's work.
   */
  cpuMicrosPerEvent: number;
  memory?: MemorySample;
  /** Figures of the scenario's own beyond the rate (latencies, retries), by name with their unit in it. */
  extra?: Record<string, number>;
}

/** Memory of a run measured in a child process of its own (a replay, any peer's run). */
export interface MemorySample {
  /** The child's maximum resident set size, from the kernel (`process.resourceUsage().maxRSS`): exact, not sampled. */
  peakRssMB: number;
  /** The child's resident set size before the run (a replay: after opening the log, before reading it). */
  startRssMB: number;
  /** The largest V8 `heapUsed` seen, sampled every 100 ms (a replay: every 10,000 events). */
  peakHeapMB: number;
  /** How the child process ran (a bundle on plain node, or tsx). */
  runtime?: string;
}

/** What a scenario must reach: a ratio to the raw driver, and optionally absolute figures. */
export interface Goal {
  ratioAtLeast: number;
  /** Our median over the peer's (Emmett's), when peers run. */
  peerRatioAtLeast?: number;
  rateAtLeast?: number;
  peakRssBelowMB?: number;
}

/** One measurement of one system on one log. */
export interface Run {
  system: BenchSystem;
  target: Target;
  durability: Durability;
}

/**
 * A workload, written once and run against every system through its adapter. A scenario with `seed` fills one
 * log per system and measures it `runs` times; one without gets a fresh, empty log for every run.
 */
export interface Scenario {
  name: string;
  title: string;
  description: string;
  durabilities: readonly Durability[];
  /** What the rate counts; default `events/s`. */
  unit?: string;
  /** Runs only when asked for by name or by this flag (long scenarios). */
  onlyWith?: string;
  /** Runs per system, overriding the command line's (a scenario that is one long run). */
  runs?: number;
  /**
   * Every system's seeding and runs in a child process each, as a peer's always are: for a scenario whose
   * figures are of its own process (replay's peak RSS).
   */
  ownProcess?: boolean;
  goal(backend: Backend, durability: Durability): Goal;
  size(at: SizeFor): Size;
  seed?(log: OpenLog, size: Size): Promise<void>;
  measure(run: Run, size: Size): Promise<Sample>;
}

export interface SizeFor {
  quick: boolean;
  backend: Backend;
  durability: Durability;
}

/** A count for where a scenario runs, each as `[full, quick]`: SQLite strict, SQLite normal, PostgreSQL. */
export function sized(
  at: SizeFor,
  counts: { strict: [number, number]; normal: [number, number]; postgres: [number, number] },
): number {
  const [full, quick] = at.backend === 'postgres' ? counts.postgres : counts[at.durability];
  return at.quick ? quick : full;
}

/** Opens the run's log, times `work`, closes the log. */
export async function timed(
  run: Run,
  events: number,
  work: (log: OpenLog) => Promise<void>,
): Promise<Sample> {
  const log = await run.system.open(run.target, run.durability);
  try {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await work(log);
    const seconds = (performance.now() - start) / 1000;
    return { events, seconds, eventsPerSecond: events / seconds, cpuMicrosPerEvent: cpuMicros(cpu) / events };
  } finally {
    await log.close();
  }
}

/** CPU microseconds (user + system) this process used since `since`. */
export function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

export const megabytes = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

export function count(size: Size, key: string): number {
  const value = size[key];
  if (value === undefined) throw new Error(`size has no ${key}`);
  return value;
}
