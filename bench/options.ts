import { scenarios } from './scenarios/index.js';
import type { Backend, Durability } from './systems/types.js';
import { defaultPostgresUrl } from './targets.js';

export interface Options {
  quick: boolean;
  runs: number;
  scenarios: string[];
  backends: Backend[];
  durabilities: Durability[];
  /** Rewrite docs/benchmarks.md from this run: by default only a full run of everything does. */
  docs: boolean;
  postgresUrl: string;
  /** Emmett beside Hindsight and the raw driver (installed in bench/peers on demand). */
  peers: boolean;
  /** Run the long growth scenario (1M to 10M events) too. */
  growth: boolean;
}

export const usage = `npm run bench -- [options]
  --quick                 smaller counts and 3 runs: under a minute, for development
  --peers                 Emmett (SQLite and PostgreSQL) beside Hindsight and the raw driver; installs bench/peers if needed
  --growth                also the growth scenario (1M to 10M events on SQLite; long)
  --scenario <name>       only this scenario (repeat or comma-separate): ${scenarios.map((s) => s.name).join(', ')}
  --backend <name>        sqlite or postgres (default: both; PostgreSQL runs when src/postgres exists and is reachable)
  --durability <name>     strict or normal (default: both where a system has both)
  --runs <n>              runs per system and scenario; the median is reported (default 5, quick 3)
  --docs | --no-docs      rewrite docs/benchmarks.md (default: only after a full run of everything)
  --postgres-url <url>    default ${defaultPostgresUrl} (or HINDSIGHT_BENCH_POSTGRES_URL)`;

export function parseOptions(argv: readonly string[]): Options {
  const names = scenarios.map((s) => s.name);
  let quick = false;
  let peers = false;
  let growth = false;
  let runs: number | undefined;
  let docs: boolean | undefined;
  const picked: string[] = [];
  const backends: Backend[] = [];
  const durabilities: Durability[] = [];
  let postgresUrl = process.env.HINDSIGHT_BENCH_POSTGRES_URL ?? defaultPostgresUrl;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return v;
    };
    if (flag === '--quick') quick = true;
    else if (flag === '--peers') peers = true;
    else if (flag === '--growth') growth = true;
    else if (flag === '--docs') docs = true;
    else if (flag === '--no-docs') docs = false;
    else if (flag === '--runs') runs = Number.parseInt(value(), 10);
    else if (flag === '--postgres-url') postgresUrl = value();
    else if (flag === '--scenario') picked.push(...value().split(','));
    else if (flag === '--backend') backends.push(...(value().split(',') as Backend[]));
    else if (flag === '--durability') durabilities.push(...(value().split(',') as Durability[]));
    else throw new Error(`unknown option ${flag}\n${usage}`);
  }
  for (const s of picked)
    if (!names.includes(s)) throw new Error(`unknown scenario ${s}; one of ${names.join(', ')}`);
  for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') throw new Error(`unknown backend ${b}`);
  for (const d of durabilities)
    if (d !== 'strict' && d !== 'normal') throw new Error(`unknown durability ${d}`);
  if (runs !== undefined && !(runs >= 1)) throw new Error('--runs needs a positive integer');
  const everything = picked.length === 0 && backends.length === 0 && durabilities.length === 0;
  return {
    quick,
    runs: runs ?? (quick ? 3 : 5),
    scenarios: picked.length
      ? picked
      : scenarios.filter((s) => !s.onlyWith || (s.onlyWith === '--growth' && growth)).map((s) => s.name),
    backends: backends.length ? backends : ['sqlite', 'postgres'],
    durabilities: durabilities.length ? durabilities : ['strict', 'normal'],
    docs: docs ?? (!quick && everything),
    postgresUrl,
    peers,
    growth,
  };
}
