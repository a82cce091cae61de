import { depositEvent, depositEvents } from '../workload.js';
import { count, type Scenario } from './types.js';

/**
 * Does append latency stay flat as the log grows? The log is seeded to `from` events, then filled in 1,000-event
 * appends to `to`; at every `every` events (and at the start) 200 single-event appends are timed one by one.
 * The rate is the fill rate; the figures are the p50 latencies of the single appends at each mark.
 */
export const growth: Scenario = {
  name: 'growth',
  title: 'Growth of the log: single-append latency as it fills',
  description:
    'Seeded to `from` events, then filled with 1,000-event appends (100 streams in turn) to `to`; at each mark, 200 single-event appends are timed.',
  onlyWith: '--growth',
  runs: 1,
  durabilities: ['normal', 'strict'],
  goal: () => ({ ratioAtLeast: 0.8 }),
  size: (at) =>
    at.quick
      ? { from: 10_000, to: 50_000, every: 10_000 }
      : at.backend === 'postgres'
        ? { from: 1_000_000, to: 2_000_000, every: 250_000 }
        : { from: 1_000_000, to: 10_000_000, every: 1_000_000 },
  async seed(log, size) {
    for (let n = 0; n < count(size, 'from'); n += 1000)
      await log.append(`fill-${(n / 1000) % 100}`, depositEvents(n, 1000));
  },
  async measure(run, size) {
    const log = await run.system.open(run.target, run.durability);
    try {
      const extra: Record<string, number> = {};
      const mark = async (at: number) => {
        const times: number[] = [];
        for (let i = 0; i < 200; i++) {
          const start = performance.now();
          await log.append(`single-${i % 10}`, [depositEvent(at + i)]);
          times.push(performance.now() - start);
        }
        times.sort((a, b) => a - b);
        extra[`append p50 ms at ${(at / 1_000_000).toFixed(2)}M`] =
          Math.round((times[100] ?? Number.NaN) * 1000) / 1000;
        process.stderr.write(`    ${run.system.label} at ${at}: p50 ${times[100]?.toFixed(3)} ms\n`);
      };
      const from = count(size, 'from');
      const to = count(size, 'to');
      const every = count(size, 'every');
      const cpu = process.cpuUsage();
      let filling = 0;
      await mark(from);
      for (let n = from; n < to; ) {
        const start = performance.now();
        const next = Math.min(to, n + every);
        for (; n < next; n += 1000) await log.append(`fill-${(n / 1000) % 100}`, depositEvents(n, 1000));
        filling += performance.now() - start;
        await mark(n);
      }
      const used = process.cpuUsage(cpu);
      return {
        events: to - from,
        seconds: filling / 1000,
        eventsPerSecond: (to - from) / (filling / 1000),
        cpuMicrosPerEvent: (used.user + used.system) / (to - from),
        extra,
      };
    } finally {
      await log.close();
    }
  },
};
