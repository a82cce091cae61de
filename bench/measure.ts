import { measureInChild, seedInChild } from './in-child.js';
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
 * A peer's seeding and each of its runs happen in a child process of its own (see `inChild`).
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
  // A peer that fails is recorded with its error and tried again once; after a second failure it sits out.
  const failures = new Map<BenchSystem, string[]>();
  const failed = (system: BenchSystem, error: unknown): void => {
    const message = String(error instanceof Error ? (error.stack ?? error.message) : error)
      .split('\n')
      .slice(0, 2)
      .join(' ');
    const list = failures.get(system) ?? [];
    list.push(message);
    failures.set(system, list);
    process.stderr.write(`  ${where}  ${system.label} FAILED (${list.length}): ${message}\n`);
    if (system.role !== 'peer') throw error;
  };
  const sittingOut = (system: BenchSystem) => (failures.get(system)?.length ?? 0) >= 2;
  const where = `${backend} ${durability} ${scenario.name}`;
  const task = (system: BenchSystem, target: Target) => ({
    scenario: scenario.name,
    backend,
    system: system.id,
    target,
    durability,
    size,
  });
  try {
    if (scenario.seed) {
      for (const system of systems) {
        while (!seeded.has(system) && !sittingOut(system)) {
          const target = targets.create(backend, `${scenario.name}_${system.id}`);
          process.stderr.write(`  ${where}  ${system.label}: seeding\n`);
          try {
            if (inChild(scenario, system)) await seedInChild(task(system, target));
            else {
              const log = await system.open(target, durability);
              await scenario.seed?.(log, size).finally(() => log.close());
            }
            seeded.set(system, target);
          } catch (error) {
            await targets.remove(target).catch(() => {});
            failed(system, error);
          }
        }
      }
    }
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        if (sittingOut(system) || (scenario.seed && !seeded.has(system))) continue;
        const target = seeded.get(system) ?? targets.create(backend, `${scenario.name}_${system.id}`);
        try {
          const sample = inChild(scenario, system)
            ? await measureInChild(task(system, target))
            : await scenario.measure({ system, target, durability }, size);
          samples.get(system)?.push(sample);
          process.stderr.write(
            `  ${where}  ${system.label} run ${run + 1}/${runs}: ${rate(sample.eventsPerSecond)} ${scenario.unit ?? 'events/s'}${sample.extra ? ` ${JSON.stringify(sample.extra)}` : ''}\n`,
          );
        } catch (error) {
          failed(system, error);
        } finally {
          if (!seeded.has(system)) await targets.remove(target);
        }
      }
    }
  } finally {
    for (const target of seeded.values()) await targets.remove(target);
  }
  const of = (role: BenchSystem['role']) => systems.find((s) => s.role === role);
  const [ours, raw, peer] = (['ours', 'raw', 'peer'] as const).map((role) => {
    const system = of(role);
    const got = system && samples.get(system);
    return system && got?.length ? summarize(system, durability, got) : undefined;
  });
  if (!ours || !raw) throw new Error(`${where}: needs ours and the raw driver`);
  const peerSystem = of('peer');
  const peerErrors = peerSystem ? failures.get(peerSystem) : undefined;
  return judge(scenario, backend, durability, size, ours, raw, peer, peerSystem && peerErrors);
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
    ...(samples.some((s) => s.extra) && { extra: extraSpreads(samples) }),
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

function extraSpreads(samples: readonly Sample[]): Record<string, Spread> {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.extra ?? {})))];
  return Object.fromEntries(
    names.map((n) => [n, spread(samples.flatMap((s) => (s.extra?.[n] !== undefined ? [s.extra[n]] : [])))]),
  );
}

function judge(
  scenario: Scenario,
  backend: Backend,
  durability: Durability,
  size: Record<string, number>,
  ours: SystemResult,
  raw: SystemResult,
  peer: SystemResult | undefined,
  peerErrors: string[] | undefined,
): ScenarioResult {
  const goal = scenario.goal(backend, durability);
  const ratio = ours.eventsPerSecond.median / raw.eventsPerSecond.median;
  const peerRatio = peer ? ours.eventsPerSecond.median / peer.eventsPerSecond.median : undefined;
  const misses: string[] = [];
  if (ratio < goal.ratioAtLeast) misses.push(`ratio ${ratio.toFixed(2)} < ${goal.ratioAtLeast}`);
  if (goal.peerRatioAtLeast !== undefined && peerRatio !== undefined && peerRatio < goal.peerRatioAtLeast) {
    misses.push(`${peerRatio.toFixed(2)}x Emmett < ${goal.peerRatioAtLeast}x`);
  }
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
    unit: scenario.unit ?? 'events/s',
    ours,
    raw,
    ratio,
    ...(peer && { peer, peerRatio }),
    ...(peerErrors?.length && { peerErrors }),
    goal,
    met: misses.length === 0,
    misses,
  };
}

/**
 * Whether a system's seeding and runs of a scenario happen in child processes (one each) or in this one. A peer's
 * always do: emmett-sqlite's `sqlite3` driver fails under concurrent calls and goes on working and throwing after
 * its run has failed, which took the next system's run in this process from tens of thousands of appends a second
 * to hundreds; in a child, all of that ends with the run. Ours and the raw driver run here, warm, as an
 * application's process is, unless the scenario's figures are of a process of its own (replay's memory).
 */
function inChild(scenario: Scenario, system: BenchSystem): boolean {
  return system.role === 'peer' || scenario.ownProcess === true;
}
