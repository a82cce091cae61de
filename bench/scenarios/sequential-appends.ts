import { depositEvent } from '../workload.js';
import { count, type Scenario, sized, timed } from './types.js';

/** Single-event appends one after another, each awaited, spread over 1,000 existing streams. */
export const sequentialAppends: Scenario = {
  name: 'sequential-appends',
  title: 'Single-event appends, one after another',
  description: 'One writer appends one event at a time to 1,000 streams in turn, awaiting each append.',
  durabilities: ['strict', 'normal'],
  goal: (backend) => ({ ratioAtLeast: 0.8, peerRatioAtLeast: backend === 'sqlite' ? 3 : 1.5 }),
  size: (at) => ({
    appends: sized(at, { strict: [2_000, 200], normal: [20_000, 2_000], postgres: [500, 50] }),
  }),
  measure(run, size) {
    const appends = count(size, 'appends');
    return timed(run, appends, async (log) => {
      for (let i = 0; i < appends; i++) await log.append(`account-${i % 1000}`, [depositEvent(i)]);
    });
  },
};
