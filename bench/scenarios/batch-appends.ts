import { depositEvents } from '../workload.js';
import { count, type Scenario, sized, timed } from './types.js';

/** 100-event appends, one after another, each to a new stream. */
export const batchAppends: Scenario = {
  name: 'batch-appends',
  title: '100-event appends to distinct streams',
  description: 'One writer appends 100 events at a time, each append to a new stream, awaiting each append.',
  durabilities: ['strict', 'normal'],
  goal: () => ({ ratioAtLeast: 0.8 }),
  size: (at) => ({
    appends: sized(at, { strict: [1_000, 100], normal: [2_000, 200], postgres: [200, 20] }),
    eventsPerAppend: 100,
  }),
  measure(run, size) {
    const appends = count(size, 'appends');
    const per = count(size, 'eventsPerAppend');
    return timed(run, appends * per, async (log) => {
      for (let i = 0; i < appends; i++) await log.append(`order-${i}`, depositEvents(i * per, per));
    });
  },
};
