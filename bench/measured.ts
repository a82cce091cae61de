// `npx tsx bench/measured.ts`: the write- and read-side scenarios of issues 3 and 4 (loading state, command
// handling, projection rebuilds, live lag), measured on Hindsight alone against the issues' absolute bounds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchMachine } from './machine.js';
import { commandThroughput } from './scenarios/command-throughput.js';
import { loadStateScenario } from './scenarios/load-state.js';
import { judgeBounds, type MeasuredResult, type MeasuredScenario } from './scenarios/measured.js';
import { projectionLag } from './scenarios/projection-lag.js';
import { projectionRebuild } from './scenarios/projection-rebuild.js';
import type { Backend } from './systems/types.js';
import { defaultPostgresUrl, probePostgres, Targets } from './targets.js';

/** Every measured scenario, in the order they run and are reported. */
export const measuredScenarios: readonly MeasuredScenario[] = [
  loadStateScenario,
  commandThroughput,
  projectionRebuild,
  projectionLag,
];

export const measuredResultsFile = fileURLToPath(new URL('results/measured.json', import.meta.url));

const usage = `npx tsx bench/measured.ts [--quick] [--scenario <name>[,..]] [--backend sqlite|postgres] [--postgres-url <url>]
  scenarios: ${measuredScenarios.map((s) => s.name).join(', ')}`;

const args = process.argv.slice(2);
let quick = false;
const picked: string[] = [];
const backends: Backend[] = [];
let postgresUrl = process.env.HINDSIGHT_BENCH_POSTGRES_URL ?? defaultPostgresUrl;
for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  const value = (): string => {
    const v = args[++i];
    if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
    return v;
  };
  if (flag === '--help' || flag === '-h') {
    console.log(usage);
    process.exit(0);
  } else if (flag === '--quick') quick = true;
  else if (flag === '--scenario') picked.push(...value().split(','));
  else if (flag === '--backend') backends.push(...(value().split(',') as Backend[]));
  else if (flag === '--postgres-url') postgresUrl = value();
  else throw new Error(`unknown option ${flag}\n${usage}`);
}
for (const s of picked) {
  if (!measuredScenarios.some((m) => m.name === s)) throw new Error(`unknown scenario ${s}\n${usage}`);
}

const machine = watchMachine();

const targets = new Targets(postgresUrl);
process.once('SIGINT', () => {
  void targets.removeAll().finally(() => process.exit(130));
});
const results: MeasuredResult[] = [];
const skipped: { backend: Backend; reason: string }[] = [];
let postgres: string | undefined;
const began = performance.now();
try {
  for (const backend of backends.length ? backends : (['sqlite', 'postgres'] as const)) {
    if (backend === 'postgres') {
      const probe = await probePostgres(postgresUrl);
      if ('error' in probe) {
        skipped.push({ backend, reason: `PostgreSQL is not reachable at ${postgresUrl}: ${probe.error}` });
        continue;
      }
      postgres = probe.settings;
    }
    for (const scenario of measuredScenarios.filter((s) => !picked.length || picked.includes(s.name))) {
      const durability = backend === 'postgres' ? 'strict' : scenario.durability;
      const size = scenario.size({ quick, backend, durability });
      const made: ReturnType<Targets['create']>[] = [];
      const where = `${backend} ${scenario.name}`;
      process.stderr.write(`  ${where}: ${JSON.stringify(size)}\n`);
      try {
        const { figures, notes = [] } = await scenario.measure(
          {
            backend,
            durability,
            target: (label) => {
              const t = targets.create(backend, label);
              made.push(t);
              return t;
            },
            log: (line) => process.stderr.write(`  ${where}: ${line}\n`),
          },
          size,
        );
        const bounds = scenario.bounds(backend);
        const misses = judgeBounds(figures, bounds);
        results.push({
          scenario: scenario.name,
          title: scenario.title,
          description: scenario.description,
          backend,
          durability,
          size,
          figures,
          bounds,
          met: misses.length === 0,
          misses,
          notes,
        });
        for (const f of figures) process.stderr.write(`  ${where}: ${f.name} = ${f.value} ${f.unit}\n`);
      } finally {
        for (const t of made) await targets.remove(t);
        machine.sample();
      }
    }
  }
} finally {
  await targets.removeAll();
}

const output = {
  generatedAt: new Date().toISOString(),
  command: ['node', ...process.execArgv, 'bench/measured.ts', ...args].join(' '),
  mode: quick ? 'quick' : 'full',
  machine: machine.describe(),
  skipped,
  ...(postgres && { postgres }),
  results,
};
const file = quick ? measuredResultsFile.replace(/\.json$/, '-quick.json') : measuredResultsFile;
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
for (const s of skipped) console.error(`skipped ${s.backend}: ${s.reason}`);
for (const r of results) {
  console.log(
    `\n${r.backend} ${r.durability} ${r.scenario} ${JSON.stringify(r.size)}: ${r.met ? 'met' : `MISSED: ${r.misses.join('; ')}`}`,
  );
  for (const f of r.figures) console.log(`  ${f.name.padEnd(40)} ${String(f.value).padStart(12)} ${f.unit}`);
}
console.log(
  `\nwrote ${file} in ${Math.round((performance.now() - began) / 1000)} s (load ${output.machine.loadAverage.start} → max ${output.machine.loadAverage.max})`,
);
