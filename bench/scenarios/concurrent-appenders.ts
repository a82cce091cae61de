import { depositEvent } from '../workload.js';
import { count, type Scenario, sized, timed } from './types.js';

/**
 * 64 writers at once, each appending one event to its own stream and awaiting it before the next. On SQLite the
 * raw driver is synchronous, so its 64 writers serialize into one commit per event; Hindsight's group commit lets
 * appends that arrive together share one transaction and one fsync.
 */
export const concurrentAppenders: Scenario = {
  name: 'concurrent-appenders',
  title: '64 concurrent single-event appenders',
  description: '64 writers each loop: append one event to its own stream, await it, append the next.',
  durabilities: ['strict', 'normal'],
  goal: (backend, durability) => ({
    ratioAtLeast: backend === 'sqlite' && durability === 'strict' ? 5 : 0.8,
    peerRatioAtLeast: backend === 'sqlite' ? 3 : 1.5,
  }),
  size: (at) => ({
    writers: 64,
    appendsPerWriter: sized(at, { strict: [50, 10], normal: [500, 50], postgres: [20, 4] }),
  }),
  measure(run, size) {
    const writers = count(size, 'writers');
    const each = count(size, 'appendsPerWriter');
    return timed(run, writers * each, async (log) => {
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; i < each; i++) await log.append(`writer-${w}`, [depositEvent(w * each + i)]);
      };
      await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    });
  },
};
