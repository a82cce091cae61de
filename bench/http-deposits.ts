// Deposits over HTTP (issue 6): the event-sourced bank service (`hindsight serve`) beside a state-stored baseline
// (bench/state-stored-server.ts: the same server, the same endpoint doing UPDATE balance), each in a process of its
// own, driven by autocannon from this one at 64 connections. Runs alternate (ours, baseline, baseline, ours, ...);
// each run starts a fresh server on a fresh data folder, opens the accounts, warms up, then measures.
//   npm run bench:http [-- --quick] [--runs N] [--duration S] [--variant spread|hot] [--durability normal]
//                      [--system hindsight|baseline] [--profile [--profile-dir D]]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { watchMachine } from './machine.js';
import { spread } from './measure.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = args.includes('--quick');
const runs = Number(option('runs') ?? (quick ? 2 : 5));
const duration = Number(option('duration') ?? (quick ? 5 : 10));
const warmup = Number(option('warmup') ?? 2);
const connections = Number(option('connections') ?? 64);
const only = option('variant');
const systemsOnly = option('system');
const profile = args.includes('--profile');
const durability = option('durability') === 'normal' ? 'normal' : 'strict';
const profileDir = option('profile-dir') ?? join(tmpdir(), 'hindsight-bench-http-profiles');
const token = 'bench-writer-token-4f1c2a9e7d';
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const amount = 100;

interface Variant {
  name: 'spread' | 'hot';
  label: string;
  accounts: number;
}
const variants: Variant[] = [
  { name: 'spread', label: `deposits spread over 1,000 accounts`, accounts: 1000 },
  { name: 'hot', label: `hot accounts: all ${connections} connections on 10 accounts`, accounts: 10 },
].filter((v) => only === undefined || v.name === only) as Variant[];

interface System {
  id: 'hindsight' | 'baseline';
  label: string;
  /** The node arguments that start it on a data folder. */
  command: (dataDir: string) => string[];
  /** How many deposits its file holds, read after it stopped. */
  depositsStored: (dataDir: string) => number;
}

const hindsight: System = {
  id: 'hindsight',
  label:
    durability === 'strict'
      ? 'Hindsight (hindsight serve, event-sourced)'
      : 'Hindsight (the bank service as hindsight serve runs it, durability normal)',
  // `hindsight serve` always opens its store 'strict'; bench/service-server.ts is the same service at 'normal'.
  command: (dataDir) =>
    durability === 'strict'
      ? ['src/cli/main.ts', 'serve', '--port', '0', '--data', dataDir]
      : ['bench/service-server.ts', '--port', '0', '--data', dataDir, '--durability', durability],
  depositsStored: (dataDir) =>
    count(
      join(dataDir, 'events.sqlite'),
      "SELECT count(*) FROM events WHERE type = 'MoneyDeposited' AND stream_id LIKE 'account-%'",
    ),
};
const baseline: System = {
  id: 'baseline',
  label: 'State-stored baseline (UPDATE balance)',
  command: (dataDir) => [
    'bench/state-stored-server.ts',
    '--port',
    '0',
    '--data',
    dataDir,
    '--durability',
    durability,
  ],
  depositsStored: (dataDir) =>
    count(join(dataDir, 'state.sqlite'), 'SELECT coalesce(sum(version) - count(*), 0) FROM accounts'),
};
const systems = [hindsight, baseline].filter((s) => systemsOnly === undefined || s.id === systemsOnly);

function count(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.prepare(sql).pluck().get());
  } finally {
    db.close();
  }
}

interface Sample {
  depositsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  deposits: number;
  non2xx: number;
  errors: number;
  /** CPU time (user + system) of the server process per deposit measured, in microseconds. */
  serverCpuMicros: number;
  /** Of which in user space: the JavaScript, the parsing, SQLite's own work (fsync is system time). */
  serverUserCpuMicros: number;
  /** fsync and fdatasync calls of the server per deposit measured (undefined without perf). */
  fsyncsPerDeposit: number | undefined;
  load: number;
}

interface RunningServer {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function start(system: System, dataDir: string): Promise<RunningServer> {
  const nodeArgs = ['--import', 'tsx'];
  if (profile) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', join(profileDir, system.id));
  const child = spawn(process.execPath, [...nodeArgs, ...system.command(dataDir)], {
    cwd: root,
    env: { ...process.env, HINDSIGHT_TOKENS: `${token}:bench:writer` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-10_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${system.id} did not start in 60 s: ${err}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${system.id} exited with ${code} before listening: ${err}`));
    });
  });
  return { child, url, stderr: () => err };
}

async function stop(server: RunningServer): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** User and system CPU time of a process so far, in microseconds (Linux; USER_HZ is 100). */
function cpuMicros(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 1e4, system: Number(fields[12]) * 1e4 };
}

/**
 * Counts the fsync and fdatasync calls of a process until `stop` (Linux `perf stat` on the syscall tracepoints;
 * undefined where perf or the tracepoints are missing). Each is a wait for the disk on the event loop.
 */
function countFsyncs(pid: number): { stop: () => Promise<number | undefined> } {
  const events = 'syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync';
  let perf: ChildProcess | undefined;
  let out = '';
  try {
    perf = spawn('perf', ['stat', '-x', ',', '-e', events, '-p', String(pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    perf.on('error', () => {});
    perf.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
  } catch {
    perf = undefined;
  }
  return {
    async stop() {
      if (!perf || perf.exitCode !== null || perf.pid === undefined) return undefined;
      const exited = new Promise<void>((resolve) => perf?.once('exit', () => resolve()));
      perf.kill('SIGINT');
      await exited;
      const counts = [...out.matchAll(/^(\d+),,syscalls:sys_enter_f(?:data)?sync/gm)].map((m) =>
        Number(m[1]),
      );
      return counts.length === 2 ? (counts[0] as number) + (counts[1] as number) : undefined;
    },
  };
}

async function openAccounts(url: string, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${url}/accounts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ accountId: `a${i}`, owner: `owner ${i}` }),
      });
      if (res.status !== 201) throw new Error(`opening a${i}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, n) }, worker));
}

function fire(url: string, accounts: number, seconds: number) {
  return autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers,
    body: JSON.stringify({ amount }),
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path: `/accounts/a${Math.floor(Math.random() * accounts)}/deposits`,
        }),
      },
    ],
  });
}

async function measure(system: System, variant: Variant): Promise<Sample> {
  const dataDir = mkdtempSync(join(tmpdir(), `hindsight-bench-http-${system.id}-`));
  const server = await start(system, dataDir);
  try {
    await openAccounts(server.url, variant.accounts);
    const warm = await fire(server.url, variant.accounts, warmup);
    const pid = server.child.pid as number;
    const fsyncs = countFsyncs(pid);
    const cpuBefore = cpuMicros(pid);
    const result = await fire(server.url, variant.accounts, duration);
    const cpuAfter = cpuMicros(pid);
    const fsyncCount = await fsyncs.stop();
    await stop(server);
    const sent = warm['2xx'] + result['2xx'];
    const stored = system.depositsStored(dataDir);
    // Requests still in flight when autocannon stops (at most one per connection, twice) are stored unanswered.
    if (stored < sent || stored > sent + 2 * connections) {
      throw new Error(`${system.id}: ${sent} deposits answered 2xx but ${stored} stored`);
    }
    if (result.non2xx > 0 || result.errors > 0 || warm.non2xx > 0) {
      process.stderr.write(
        `  ${system.id}: ${result.non2xx + warm.non2xx} non-2xx, ${result.errors} errors\n${server.stderr()}\n`,
      );
    }
    const deposits = result['2xx'];
    return {
      depositsPerSecond: deposits / result.duration,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      deposits,
      non2xx: result.non2xx,
      errors: result.errors,
      serverCpuMicros: (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / deposits,
      serverUserCpuMicros: (cpuAfter.user - cpuBefore.user) / deposits,
      fsyncsPerDeposit: fsyncCount === undefined ? undefined : fsyncCount / deposits,
      load: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    };
  } finally {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const machine = watchMachine();
if (profile) mkdirSync(profileDir, { recursive: true });
process.stderr.write(
  `bench:http: ${runs} runs of ${duration} s (after ${warmup} s of warm-up) per system and variant, ` +
    `${connections} connections, durability ${durability}, load average ${os.loadavg()[0]?.toFixed(2)}\n`,
);
const results = [];
for (const variant of variants) {
  const samples = new Map<System, Sample[]>(systems.map((s) => [s, []]));
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) {
      const sample = await measure(system, variant);
      machine.sample();
      samples.get(system)?.push(sample);
      process.stderr.write(
        `  ${variant.name} ${system.id} run ${run + 1}/${runs}: ${fmt(sample.depositsPerSecond)} deposits/s, ` +
          `p50 ${sample.p50} ms, p99 ${sample.p99} ms, server CPU ${round(sample.serverCpuMicros)} µs/deposit ` +
          `(user ${round(sample.serverUserCpuMicros)}), ${round(sample.fsyncsPerDeposit ?? Number.NaN, 2)} fsyncs/deposit, ` +
          `load ${sample.load}\n`,
      );
    }
  }
  const summary = Object.fromEntries(
    systems.map((s) => {
      const list = samples.get(s) ?? [];
      return [
        s.id,
        {
          label: s.label,
          depositsPerSecond: spread(list.map((x) => x.depositsPerSecond)),
          p50: spread(list.map((x) => x.p50)),
          p99: spread(list.map((x) => x.p99)),
          serverCpuMicros: spread(list.map((x) => x.serverCpuMicros)),
          serverUserCpuMicros: spread(list.map((x) => x.serverUserCpuMicros)),
          fsyncsPerDeposit: list.every((x) => x.fsyncsPerDeposit !== undefined)
            ? spread(list.map((x) => x.fsyncsPerDeposit as number))
            : undefined,
          samples: list,
        },
      ];
    }),
  );
  const ours = summary.hindsight?.depositsPerSecond.median;
  const theirs = summary.baseline?.depositsPerSecond.median;
  const ratio = ours !== undefined && theirs ? round(ours / theirs, 2) : undefined;
  results.push({
    variant: variant.name,
    label: variant.label,
    accounts: variant.accounts,
    ratio,
    ...summary,
  });
  process.stderr.write(
    `${variant.label}: Hindsight ${fmt(ours ?? 0)} deposits/s, baseline ${fmt(theirs ?? 0)}, ratio ${ratio}\n`,
  );
}

const report = {
  when: new Date().toISOString(),
  command: `npm run bench:http${args.length ? ` -- ${args.join(' ')}` : ''}`,
  machine: machine.describe(),
  durability:
    durability === 'strict'
      ? 'strict: WAL, synchronous=FULL (fsync on every commit) on both sides'
      : 'normal: WAL, synchronous=NORMAL (fsync at checkpoints only) on both sides',
  connections,
  runs,
  durationSeconds: duration,
  warmupSeconds: warmup,
  results,
};
const out = join(
  root,
  'bench',
  'results',
  `http-deposits${durability === 'strict' ? '' : `-${durability}`}${only ? `-${only}` : ''}${quick ? '-quick' : ''}.json`,
);
if (!profile && systemsOnly === undefined) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report.results.map(({ variant, ratio }) => ({ variant, ratio }))));
