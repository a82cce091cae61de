import type { ScenarioResult, Spread, SystemResult } from './report.js';
import type { Sample, Scenario } from './scenarios/types.js';
import type { Backend, BenchSystem, Durability, Target } from './systems/types.js';
import type { Targets } from './targets.js';

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

const rate = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * Measures one scenario on one backend at one durability, `runs` times for each system. Runs alternate between
 * the systems (ours, raw, raw, ours, ...) so that a machine that gets busier mid-way does not favour either.
 */
export async function measureScenario(
  scenario: Scenario,
  backend: Backend,
  durability: Durability,
  systems: readonly BenchSystem[],
  runs: number,
  quick: boolean,
  targets: Targets,
): Promise<ScenarioResult> {
  const size = scenario.size({ quick, backend, durability });
  const seeded = new Map<BenchSystem, Target>();
  const samples = new Map<BenchSystem, Sample[]>(systems.map((s) => [s, []]));
  const where = `${backend} ${durability} ${scenario.name}`;
  try {
    if (scenario.seed) {
      for (const system of systems) {
        const target = targets.create(backend, `${scenario.name}_${system.id}`);
        seeded.set(system, target);
        process.stderr.write(`  ${where}  ${system.label}: seeding\n`);
        const log = await system.open(target, durability);
        await scenario.seed(log, size).finally(() => log.close());
      }
    }
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        const target = seeded.get(system) ?? targets.create(backend, `${scenario.name}_${system.id}`);
        try {
          const sample = await scenario.measure({ system, target, durability }, size);
          samples.get(system)?.push(sample);
          process.stderr.write(
            `  ${where}  ${system.label} run ${run + 1}/${runs}: ${rate(sample.eventsPerSecond)} events/s\n`,
          );
        } finally {
          if (!seeded.has(system)) await targets.remove(target);
        }
      }
    }
  } finally {
    for (const target of seeded.values()) await targets.remove(target);
  }
  const [ours, raw] = systems.map((s) => summarize(s, durability, samples.get(s) ?? []));
  if (!ours || !raw) throw new Error(`${where}: needs ours and the raw driver`);
  return judge(scenario, backend, durability, size, ours, raw);
}

function summarize(system: BenchSystem, durability: Durability, samples: readonly Sample[]): SystemResult {
  const memory = samples.flatMap((s) => (s.memory ? [s.memory] : []));
  return {
    system: system.id,
    label: system.label,
    durability: system.durabilityNote(durability),
    eventsPerSecond: spread(samples.map((s) => s.eventsPerSecond)),
    samples: samples.map((s) => Math.round(s.eventsPerSecond)),
    cpuMicrosPerEvent: spread(samples.map((s) => s.cpuMicrosPerEvent)),
    ...(memory.length && {
      memory: {
        peakRssMB: spread(memory.map((m) => m.peakRssMB)),
        startRssMB: spread(memory.map((m) => m.startRssMB)),
        peakHeapMB: spread(memory.map((m) => m.peakHeapMB)),
        runtime: memory[0]?.runtime ?? 'unknown',
      },
    }),
  };
}

function judge(
  scenario: Scenario,
  backend: Backend,
  durability: Durability,
  size: Record<string, number>,
  ours: SystemResult,
  raw: SystemResult,
): ScenarioResult {
  const goal = scenario.goal(backend, durability);
  const ratio = ours.eventsPerSecond.median / raw.eventsPerSecond.median;
  const misses: string[] = [];
  if (ratio < goal.ratioAtLeast) misses.push(`ratio ${ratio.toFixed(2)} < ${goal.ratioAtLeast}`);
  if (goal.rateAtLeast !== undefined && ours.eventsPerSecond.median < goal.rateAtLeast) {
    misses.push(`${rate(ours.eventsPerSecond.median)} events/s < ${rate(goal.rateAtLeast)}`);
  }
  const peak = ours.memory?.peakRssMB.max;
  if (goal.peakRssBelowMB !== undefined && peak !== undefined && peak >= goal.peakRssBelowMB) {
    misses.push(`peak RSS ${peak} MB >= ${goal.peakRssBelowMB} MB`);
  }
  return {
    scenario: scenario.name,
    title: scenario.title,
    description: scenario.description,
    backend,
    durability,
    size,
    unit: 'events/s',
    ours,
    raw,
    ratio,
    goal,
    met: misses.length === 0,
    misses,
  };
}
