import type { Backend, BenchSystem, Durability, OpenLog, Target } from '../systems/types.js';

/** How big a scenario is: its counts, recorded with the results. */
export type Size = Record<string, number>;

/** What one timed run found. */
export interface Sample {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  memory?: MemorySample;
}

/** Memory of a replay, measured in its own child process. */
export interface MemorySample {
  /** The child's maximum resident set size, from the kernel (`process.resourceUsage().maxRSS`): exact, not sampled. */
  peakRssMB: number;
  /** The child's resident set size after opening the log, before reading it. */
  startRssMB: number;
  /** The largest V8 `heapUsed` seen, sampled every 10,000 events. */
  peakHeapMB: number;
}

/** What a scenario must reach: a ratio to the raw driver, and optionally absolute figures. */
export interface Goal {
  ratioAtLeast: number;
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
  goal(backend: Backend, durability: Durability): Goal;
  size(quick: boolean, durability: Durability): Size;
  seed?(log: OpenLog, size: Size): Promise<void>;
  measure(run: Run, size: Size): Promise<Sample>;
}

/** Opens the run's log, times `work`, closes the log. */
export async function timed(
  run: Run,
  events: number,
  work: (log: OpenLog) => Promise<void>,
): Promise<Sample> {
  const log = await run.system.open(run.target, run.durability);
  try {
    const start = performance.now();
    await work(log);
    const seconds = (performance.now() - start) / 1000;
    return { events, seconds, eventsPerSecond: events / seconds };
  } finally {
    await log.close();
  }
}

export function count(size: Size, key: string): number {
  const value = size[key];
  if (value === undefined) throw new Error(`size has no ${key}`);
  return value;
}
