import { depositEvents } from '../workload.js';
import { count, type Scenario, timed } from './types.js';

/** 100-event appends, one after another, each to a new stream. */
export const batchAppends: Scenario = {
  name: 'batch-appends',
  title: '100-event appends to distinct streams',
  description: 'One writer appends 100 events at a time, each append to a new stream, awaiting each append.',
  durabilities: ['strict', 'normal'],
  goal: () => ({ ratioAtLeast: 0.8 }),
  size: (quick, durability) => ({
    appends: (durability === 'strict' ? 1_000 : 2_000) / (quick ? 10 : 1),
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
