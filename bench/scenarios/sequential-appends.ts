import { depositEvent } from '../workload.js';
import { count, type Scenario, timed } from './types.js';

/** Single-event appends one after another, each awaited, spread over 1,000 existing streams. */
export const sequentialAppends: Scenario = {
  name: 'sequential-appends',
  title: 'Single-event appends, one after another',
  description: 'One writer appends one event at a time to 1,000 streams in turn, awaiting each append.',
  durabilities: ['strict', 'normal'],
  goal: () => ({ ratioAtLeast: 0.8 }),
  size: (quick, durability) => ({ appends: (durability === 'strict' ? 2_000 : 20_000) / (quick ? 10 : 1) }),
  measure(run, size) {
    const appends = count(size, 'appends');
    return timed(run, appends, async (log) => {
      for (let i = 0; i < appends; i++) await log.append(`account-${i % 1000}`, [depositEvent(i)]);
    });
  },
};
