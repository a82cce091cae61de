import { depositEvents } from '../workload.js';
import { count, type Run, type Sample, type Scenario, type Size } from './types.js';

const stream = 'account-long';

async function seedLong(log: Parameters<NonNullable<Scenario['seed']>>[0], size: Size): Promise<void> {
  const events = count(size, 'events');
  for (let i = 0; i < events; i += 100) await log.append(stream, depositEvents(i, Math.min(100, events - i)));
}

/** Times `loads` loads of the long stream after `warmup` untimed ones; the rate counts the events folded. */
async function timeLoads(run: Run, size: Size, snapshot: boolean): Promise<Sample> {
  const log = await run.system.open(run.target, run.durability);
  try {
    if (!log.load) throw new Error(`${run.system.label} has no load`);
    const events = count(size, 'events');
    const useSnapshot = snapshot && log.snapshot !== undefined;
    const durations: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < count(size, 'warmup') + count(size, 'loads'); i++) {
      const start = performance.now();
      const loaded = await log.load(stream, { snapshot: useSnapshot });
      const took = performance.now() - start;
      if (loaded.version !== events) throw new Error(`loaded version ${loaded.version}, wanted ${events}`);
      if (i >= count(size, 'warmup')) durations.push(took);
    }
    const sorted = durations.sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    const seconds = sorted.reduce((a, b) => a + b, 0) / 1000;
    const folded = events * sorted.length;
    return {
      events: folded,
      seconds,
      eventsPerSecond: events / (p50 / 1000),
      cpuMicrosPerEvent: (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / folded,
      extra: {
        'load p50 ms': Math.round(p50 * 1000) / 1000,
        'load p99 ms': Math.round((sorted[Math.ceil(sorted.length * 0.99) - 1] ?? Number.NaN) * 1000) / 1000,
      },
    };
  } finally {
    await log.close();
  }
}

const size = (at: { quick: boolean }) => ({
  events: 10_000,
  warmup: at.quick ? 3 : 5,
  loads: at.quick ? 10 : 30,
});

/** Loading one stream of 10,000 deposits by folding every event. */
export const loadStream: Scenario = {
  name: 'load-stream',
  title: 'Loading a 10,000-event stream (full fold)',
  description:
    'One stream of 10,000 deposits folded into a balance as each system recommends (Hindsight loadState, Emmett aggregateStream, raw: one SELECT and a loop); rate = 10,000 / p50 load time.',
  unit: 'events folded/s',
  durabilities: ['strict'],
  goal: () => ({ ratioAtLeast: 0.8 }),
  size,
  seed: seedLong,
  measure: (run, s) => timeLoads(run, s, false),
};

/**
 * The same load where the system has snapshots (Hindsight: a snapshot at the last version, so the load reads the
 * snapshot and finds no event after it). Emmett and the raw driver have none and fold all 10,000 events: the
 * ratio is how much faster a snapshot makes the load than what those users get.
 */
export const loadStreamSnapshot: Scenario = {
  name: 'load-stream-snapshot',
  title: 'Loading a 10,000-event stream, Hindsight from a snapshot',
  description:
    'The same stream; Hindsight loads with a snapshot policy and a snapshot at the last version; Emmett and the raw driver have no snapshots and fold every event.',
  unit: 'events folded/s',
  durabilities: ['strict'],
  goal: () => ({ ratioAtLeast: 50, peerRatioAtLeast: 50 }),
  size,
  async seed(log, s) {
    await seedLong(log, s);
    await log.snapshot?.(stream);
  },
  measure: (run, s) => timeLoads(run, s, true),
};
