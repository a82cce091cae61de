import { depositEvents } from '../workload.js';
import { count, type Scenario, sized } from './types.js';

/** The total of the deposits `depositEvents(0, n)` holds: what every rebuilt view must sum to. */
function totalOf(events: number): number {
  let total = 0;
  for (let n = 0; n < events; n++) total += 1000 + (n % 997);
  return total;
}

/**
 * A balances table (one row per stream) built again from the whole log. Hindsight: `sqliteProjection` /
 * `postgresProjection` and the runner's `rebuild` (fresh copy, swapped in); Emmett PostgreSQL:
 * `rebuildPostgreSQLProjections` with a raw batch SQL projection; Emmett SQLite has no rebuild, so a consumer
 * runs a projection from the beginning; raw: pages of 5,000 rows and hand-written upserts.
 */
export const rebuildBalances: Scenario = {
  name: 'rebuild-balances',
  title: 'Rebuild of a balances table from the log',
  description:
    'A log of deposits in 100-event appends to each stream; the balances view is opened (untimed), then rebuilt from scratch and checked (rows and total).',
  durabilities: ['strict'],
  goal: () => ({ ratioAtLeast: 0.8 }),
  size: (at) => ({
    streams: sized(at, { strict: [10_000, 500], normal: [0, 0], postgres: [2_000, 200] }),
    eventsPerStream: 100,
  }),
  async seed(log, size) {
    const per = count(size, 'eventsPerStream');
    for (let s = 0; s < count(size, 'streams'); s++)
      await log.append(`account-${s}`, depositEvents(s * per, per));
  },
  async measure(run, size) {
    const events = count(size, 'streams') * count(size, 'eventsPerStream');
    const log = await run.system.open(run.target, run.durability);
    try {
      if (!log.balancesView) throw new Error(`${run.system.label} has no balances view`);
      const view = await log.balancesView();
      try {
        const cpu = process.cpuUsage();
        const start = performance.now();
        const built = await view.rebuild();
        const seconds = (performance.now() - start) / 1000;
        const used = process.cpuUsage(cpu);
        if (built.rows !== count(size, 'streams') || built.total !== totalOf(events)) {
          throw new Error(`view has ${built.rows} rows and ${built.total}, wanted ${totalOf(events)}`);
        }
        return {
          events,
          seconds,
          eventsPerSecond: events / seconds,
          cpuMicrosPerEvent: (used.user + used.system) / events,
        };
      } finally {
        await view.close();
      }
    } finally {
      await log.close();
    }
  },
};
