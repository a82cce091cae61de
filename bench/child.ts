// A replay measured in a process of its own, so that its peak memory is its own. Started by scenarios/replay.ts.
import { cpuMicros, type Sample } from './scenarios/types.js';
import { findSystem } from './systems/index.js';
import type { Backend, Durability, Target } from './systems/types.js';

interface ChildConfig {
  backend: Backend;
  system: string;
  target: Target;
  durability: Durability;
  expected: number;
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const system = findSystem(config.backend, config.system);
  const log = await system.open(config.target, config.durability);
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
  if (events !== config.expected) throw new Error(`replayed ${events} events, expected ${config.expected}`);
  const sample: Sample = {
    events,
    seconds,
    eventsPerSecond: events / seconds,
    cpuMicrosPerEvent,
    memory: {
      peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
      startRssMB: mb(startRss),
      peakHeapMB: mb(peakHeap),
    },
  };
  console.log(JSON.stringify(sample));
}

await main();
