import { depositEvents } from '../workload.js';
import { count, cpuMicros, megabytes, type Scenario, sized } from './types.js';

/**
 * A full replay of the log, read in position order and decoded. Each replay runs in a child process of its own
 * (`ownProcess`), so its peak memory is the kernel's maximum RSS of that process alone (node and the driver
 * included).
 */
export const replay: Scenario = {
  name: 'replay',
  title: 'Full replay of the log (readAll)',
  description:
    'Reads every event of a log of 1,000 streams in position order, decoding data and metadata, in a fresh process.',
  durabilities: ['strict'],
  ownProcess: true,
  goal: (backend) =>
    backend === 'sqlite'
      ? { ratioAtLeast: 0.8, rateAtLeast: 400_000, peakRssBelowMB: 200 }
      : { ratioAtLeast: 0.8 },
  // On PostgreSQL the raw driver seeds with one INSERT per event, so its log is kept smaller.
  size: (at) => ({
    events: sized(at, { strict: [1_000_000, 100_000], normal: [0, 0], postgres: [200_000, 20_000] }),
    eventsPerAppend: 1000,
  }),
  async seed(log, size) {
    const events = count(size, 'events');
    const per = count(size, 'eventsPerAppend');
    for (let i = 0; i < events / per; i++) await log.append(`account-${i}`, depositEvents(i * per, per));
  },
  async measure(run, size) {
    const expected = count(size, 'events');
    const log = await run.system.open(run.target, run.durability);
    const startRss = process.memoryUsage.rss();
    let events = 0;
    let peakHeap = process.memoryUsage().heapUsed;
    let last = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    await log.replay((position) => {
      events++;
      if (position <= last) throw new Error(`position ${position} after ${last}: out of order`);
      last = position;
      if (events % 10_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    });
    const seconds = (performance.now() - start) / 1000;
    const cpuMicrosPerEvent = cpuMicros(cpu) / events;
    await log.close();
    if (events !== expected) throw new Error(`replayed ${events} events, expected ${expected}`);
    return {
      events,
      seconds,
      eventsPerSecond: events / seconds,
      cpuMicrosPerEvent,
      memory: {
        peakRssMB: megabytes(process.resourceUsage().maxRSS * 1024),
        startRssMB: megabytes(startRss),
        peakHeapMB: megabytes(peakHeap),
      },
    };
  },
};
