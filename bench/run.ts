import { removeChildBundle } from './child-command.js';
import { watchMachine } from './machine.js';
import { measureScenario } from './measure.js';
import { parseOptions } from './options.js';
import { ensurePeersInstalled, peerVersions } from './peers.js';
import {
  type BenchResults,
  consoleTable,
  docsFile,
  resultsFile,
  type ScenarioResult,
  writeDocs,
  writeResults,
} from './report.js';
import { scenarios } from './scenarios/index.js';
import { systemsFor } from './systems/index.js';
import type { Backend, BenchSystem } from './systems/types.js';
import { probePostgres, Targets } from './targets.js';

const args = process.argv.slice(2);
const options = parseOptions(args);
const command =
  process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
    : ['node', ...process.execArgv, 'bench/run.ts', ...args].join(' ');

if (options.peers) ensurePeersInstalled();
const targets = new Targets(options.postgresUrl);
process.once('SIGINT', () => {
  void targets.removeAll().finally(() => process.exit(130));
});

const machine = watchMachine();

const results: ScenarioResult[] = [];
const skipped: BenchResults['skipped'] = [];
let postgres: string | undefined;
const began = performance.now();

try {
  for (const backend of options.backends) {
    const systems = systemsFor(backend, options.peers);
    if (backend === 'postgres') {
      const probe = await probePostgres(options.postgresUrl);
      if ('error' in probe) {
        skipped.push({
          backend,
          reason: `PostgreSQL is not reachable at ${options.postgresUrl}: ${probe.error}`,
        });
        continue;
      }
      postgres = probe.settings;
    }
    await runBackend(backend, systems);
  }
} finally {
  removeChildBundle();
  await targets.removeAll();
}

async function runBackend(backend: Backend, systems: readonly BenchSystem[]): Promise<void> {
  for (const scenario of scenarios.filter((s) => options.scenarios.includes(s.name))) {
    for (const durability of scenario.durabilities.filter((d) => options.durabilities.includes(d))) {
      const able = systems.filter((s) => s.durabilities.includes(durability));
      if (able.filter((s) => s.role !== 'peer').length < 2) continue;
      const result = await measureScenario(
        scenario,
        backend,
        durability,
        able,
        scenario.runs ?? options.runs,
        options.quick,
        targets,
      );
      results.push(result);
      machine.sample();
    }
  }
}

for (const s of skipped) console.error(`skipped ${s.backend}: ${s.reason}`);
const output: BenchResults = {
  generatedAt: new Date().toISOString(),
  command,
  mode: options.quick ? 'quick' : 'full',
  runs: options.runs,
  machine: machine.describe(),
  skipped,
  ...(postgres && { postgres }),
  ...(options.peers && { peers: peerVersions() }),
  results,
};
writeResults(output);
console.log(`\n${consoleTable(output)}\n`);
console.log(`wrote ${resultsFile} in ${Math.round((performance.now() - began) / 1000)} s`);
if (options.docs) {
  writeDocs(output);
  console.log(`wrote ${docsFile}`);
}
