import { depositEvents } from '../workload.js';
import { count, type Scenario, sized, timed } from './types.js';

/** 100-event appends, one after another, each to a new stream: 10,000 streams, 1M events at full size on SQLite. */
export const batchAppends: Scenario = {
  name: 'batch-appends',
  title: '100-event appends to distinct streams',
  description: 'One writer appends 100 events at a time, each append to a new stream, awaiting each append.',
  durabilities: ['strict', 'normal'],
  goal: (backend) => ({ ratioAtLeast: 0.8, peerRatioAtLeast: backend === 'sqlite' ? 3 : 1.5 }),
  size: (at) => ({
    appends: sized(at, { strict: [10_000, 100], normal: [10_000, 200], postgres: [1_000, 20] }),
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
