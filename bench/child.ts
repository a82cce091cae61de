// One seeding or one measured run of a scenario for one system, in a process of its own, started by in-child.ts.
// It prints one line of JSON (a ChildReply) and exits: whatever the system's driver still has in flight ends here.
import type { ChildReply, ChildTask } from './in-child.js';
import { scenarios } from './scenarios/index.js';
import { megabytes, type Sample } from './scenarios/types.js';
import { findSystem } from './systems/index.js';

async function run(task: ChildTask): Promise<ChildReply> {
  const scenario = scenarios.find((s) => s.name === task.scenario);
  if (!scenario) throw new Error(`no bench scenario ${task.scenario}`);
  const system = findSystem(task.backend, task.system);
  if (task.work === 'seed') {
    const log = await system.open(task.target, task.durability);
    await scenario.seed?.(log, task.size).finally(() => log.close());
    return { seeded: true };
  }
  const startRss = process.memoryUsage.rss();
  let peakHeap = process.memoryUsage().heapUsed;
  const heap = () => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const sampling = setInterval(heap, 100);
  try {
    const sample = await scenario.measure(
      { system, target: task.target, durability: task.durability },
      task.size,
    );
    heap();
    return { sample: withMemory(sample, startRss, peakHeap) };
  } finally {
    clearInterval(sampling);
  }
}

/** A scenario that measures memory itself (replay) keeps its figures; any other run gets this process's. */
function withMemory(sample: Sample, startRss: number, peakHeap: number): Sample {
  if (sample.memory) return sample;
  const memory = {
    peakRssMB: megabytes(process.resourceUsage().maxRSS * 1024),
    startRssMB: megabytes(startRss),
    peakHeapMB: megabytes(peakHeap),
  };
  return { ...sample, memory };
}

let replied = false;
function reply(answer: ChildReply, code: number): void {
  if (replied) return;
  replied = true;
  process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(code));
}

const stackOf = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);

// A driver may throw outside any promise (emmett-sqlite's sqlite3 emits 'error' events nobody listens to when two
// calls share its connection): that fails this run, and the exit takes the rest of the driver's work with it.
process.on('uncaughtException', (error) => reply({ error: stackOf(error) }, 1));
run(JSON.parse(process.argv[2] ?? '{}') as ChildTask).then(
  (answer) => reply(answer, 0),
  (error: unknown) => reply({ error: stackOf(error) }, 1),
);
