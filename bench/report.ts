// Turns results into the console table, bench/results/latest.json and the generated part of docs/benchmarks.md.
// Run on its own (`npx tsx bench/report.ts [results.json]`) it rewrites the docs from a results file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Goal, Size } from './scenarios/types.js';
import type { Backend, Durability } from './systems/types.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface SystemResult {
  system: string;
  label: string;
  durability: string;
  eventsPerSecond: Spread;
  samples: number[];
  /** CPU of the measuring process per event, in microseconds (see `Sample`). */
  cpuMicrosPerEvent: Spread;
  memory?: { peakRssMB: Spread; startRssMB: Spread; peakHeapMB: Spread; runtime: string };
  /** The scenario's own figures beyond the rate (latencies, retries). */
  extra?: Record<string, Spread>;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  description: string;
  backend: Backend;
  durability: Durability;
  size: Size;
  unit: string;
  ours: SystemResult;
  raw: SystemResult;
  /** Our median over the raw driver's median. */
  ratio: number;
  /** The peer (Emmett), when peers ran: its figures and our median over its median. */
  peer?: SystemResult;
  peerRatio?: number;
  /** What the peer failed with, run by run (it is tried again once after a failure). */
  peerErrors?: string[];
  goal: Goal;
  met: boolean;
  misses: string[];
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGB: number;
  node: string;
  os: string;
  loadAverage: { start: number; max: number; end: number };
}

export interface BenchResults {
  generatedAt: string;
  command: string;
  mode: 'full' | 'quick';
  runs: number;
  machine: Machine;
  /** Backends not measured, and why. */
  skipped: { backend: Backend; reason: string }[];
  postgres?: string;
  /** The peers' installed versions, when peers ran. */
  peers?: Record<string, string>;
  results: ScenarioResult[];
}

export const resultsFile = fileURLToPath(new URL('results/latest.json', import.meta.url));
export const docsFile = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const start = '<!-- bench:results:start -->';
const end = '<!-- bench:results:end -->';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const micros = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const num = (n: number): string => (Math.abs(n) >= 100 ? int(n) : String(Math.round(n * 1000) / 1000));
const cell = (s: Spread): string => `${int(s.median)} (${int(s.min)}–${int(s.max)})`;
const goalText = (g: Goal): string =>
  [
    g.ratioAtLeast >= 1 ? `≥ ${g.ratioAtLeast}x raw` : `≥ ${g.ratioAtLeast * 100}% of raw`,
    g.peerRatioAtLeast !== undefined ? `≥ ${g.peerRatioAtLeast}x Emmett` : '',
    g.rateAtLeast !== undefined ? `≥ ${int(g.rateAtLeast)}/s` : '',
    g.peakRssBelowMB !== undefined ? `< ${g.peakRssBelowMB} MB` : '',
  ]
    .filter(Boolean)
    .join(', ');

export function consoleTable(results: BenchResults): string {
  const rows = [
    [
      'scenario',
      'backend',
      'durability',
      'Hindsight/s',
      'raw/s',
      'ratio',
      'Emmett/s',
      'x Emmett',
      'goal',
      '',
    ],
  ];
  for (const r of results.results) {
    const verdict = r.met ? 'met' : `MISSED: ${r.misses.join('; ')}`;
    rows.push([
      r.scenario,
      r.backend,
      r.durability,
      int(r.ours.eventsPerSecond.median),
      int(r.raw.eventsPerSecond.median),
    ]);
    const peer = r.peer ? int(r.peer.eventsPerSecond.median) : r.peerErrors ? 'failed' : '';
    rows[rows.length - 1]?.push(
      r.ratio.toFixed(2),
      peer,
      r.peerRatio !== undefined ? r.peerRatio.toFixed(2) : '',
      goalText(r.goal),
      verdict,
    );
    if (r.ours.memory && r.raw.memory) {
      rows.push([
        '  peak RSS MB',
        '',
        '',
        `${r.ours.memory.peakRssMB.max}`,
        `${r.raw.memory.peakRssMB.max}`,
        '',
        `${r.peer?.memory?.peakRssMB.max ?? ''}`,
        '',
        '',
        '',
      ]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function writeResults(results: BenchResults, file = resultsFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** The generated part of docs/benchmarks.md. */
export function markdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `Produced by \`${results.command}\` on ${results.generatedAt.slice(0, 16).replace('T', ' ')} UTC (${results.mode} mode). `,
    `Each figure is the median of ${results.runs} runs, with the lowest and highest in brackets; runs alternate between the systems. `,
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGB} GB, Node ${m.node}, ${m.os}. `,
    `Load average: ${m.loadAverage.start} at the start, ${m.loadAverage.max} at most, ${m.loadAverage.end} at the end` +
      (m.loadAverage.max > m.cores / 2
        ? ' (a shared machine: other work was running during this run).'
        : '.'),
    '',
  ];
  if (results.peers) {
    lines.push(
      `Peers (bench/peers): ${Object.entries(results.peers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
    );
  }
  for (const backend of ['sqlite', 'postgres'] as const) {
    const rows = results.results.filter((r) => r.backend === backend);
    const skipped = results.skipped.find((s) => s.backend === backend);
    lines.push(`### ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, '');
    if (backend === 'postgres' && results.postgres) lines.push(`Server: ${results.postgres}.`, '');
    if (!rows.length) {
      lines.push(`Not measured in this run: ${skipped?.reason ?? 'not selected'}.`, '');
      continue;
    }
    const rawLabel = rows[0]?.raw.label ?? 'raw';
    const peers = rows.some((r) => r.peer || r.peerErrors);
    lines.push(
      `| Scenario | Durability | Unit | Hindsight | ${rawLabel} | Ratio |${peers ? ' Emmett | x Emmett |' : ''} Goal | |`,
      `|---|---|---|--:|--:|--:|${peers ? '--:|--:|' : ''}---|---|`,
    );
    for (const r of rows) {
      const size = Object.entries(r.size)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(', ');
      const verdict = r.met ? 'met' : `**missed** (${r.misses.join('; ')})`;
      const peer = !peers
        ? ''
        : r.peer
          ? ` ${cell(r.peer.eventsPerSecond)} | ${r.peerRatio?.toFixed(2)} |`
          : r.peerErrors
            ? ' failed (below) | |'
            : ' | |';
      lines.push(
        `| ${r.title} (${size}) | ${r.durability} | ${r.unit ?? 'events/s'} | ${cell(r.ours.eventsPerSecond)} | ${cell(r.raw.eventsPerSecond)} | ${r.ratio.toFixed(2)} |${peer} ${goalText(r.goal)} | ${verdict} |`,
      );
    }
    lines.push('');
    const failures = rows.filter((r) => r.peerErrors?.length);
    if (failures.length) {
      lines.push('Emmett failures, as recorded (each failing run was tried again once):', '');
      for (const r of failures) {
        const partial = r.peer ? `, ${r.peer.samples.length} runs succeeded` : ', no run succeeded';
        lines.push(
          `- ${r.title} (${r.durability}${partial}): ${r.peerErrors?.map((e) => `\`${e.slice(0, 300)}\``).join('; ')}`,
        );
      }
      lines.push('');
    }
    const extras = rows.filter((r) => r.ours.extra);
    if (extras.length) {
      lines.push(
        'Other figures of these scenarios (median of the runs, lowest and highest in brackets):',
        '',
      );
      lines.push(
        `| Scenario | Figure | Hindsight | ${rawLabel} |${peers ? ' Emmett |' : ''}`,
        `|---|---|--:|--:|${peers ? '--:|' : ''}`,
      );
      for (const r of extras) {
        for (const name of Object.keys(r.ours.extra ?? {})) {
          const c = (x?: SystemResult) => {
            const v = x?.extra?.[name];
            return v ? `${num(v.median)} (${num(v.min)}–${num(v.max)})` : '';
          };
          lines.push(
            `| ${r.title} | ${name} | ${c(r.ours)} | ${c(r.raw)} |${peers ? ` ${c(r.peer)} |` : ''}`,
          );
        }
      }
      lines.push('');
    }
    lines.push(
      `CPU time of the ${backend === 'postgres' ? "client process (the server's work is not in it)" : 'process'} per event, in microseconds (median): less sensitive than the rates to other work on the machine.`,
      '',
      `| Scenario | Durability | Hindsight µs | ${rawLabel} µs | Hindsight extra |`,
      '|---|---|--:|--:|--:|',
    );
    for (const r of rows) {
      const [ours, raw] = [r.ours.cpuMicrosPerEvent.median, r.raw.cpuMicrosPerEvent.median];
      const extra = `${ours >= raw ? '+' : ''}${Math.round((ours / raw - 1) * 100)}%`;
      const peer = r.peer ? ` (Emmett ${micros(r.peer.cpuMicrosPerEvent.median)})` : '';
      lines.push(`| ${r.title} | ${r.durability} | ${micros(ours)} | ${micros(raw)}${peer} | ${extra} |`);
    }
    lines.push('');
    const memory = rows.filter((r) => r.ours.memory);
    if (memory.length) {
      lines.push(
        `Replay memory, each replay in its own child process (${memory[0]?.ours.memory?.runtime ?? 'unknown'}): peak RSS is the kernel's maximum resident set of that process (\`process.resourceUsage().maxRSS\`, exact), the highest of the runs; RSS after open is the process before it reads anything; heap is V8 \`heapUsed\` sampled every 10,000 events.`,
        '',
        '| System | Peak RSS MB | RSS after open MB | Peak heap MB |',
        '|---|--:|--:|--:|',
      );
      for (const r of memory) {
        for (const s of [r.ours, r.raw, r.peer]) {
          if (!s?.memory) continue;
          lines.push(
            `| ${s.label} | ${s.memory.peakRssMB.max} | ${s.memory.startRssMB.median} | ${s.memory.peakHeapMB.max} |`,
          );
        }
      }
      lines.push('');
    }
    lines.push('Durability, as measured:', '');
    const notes = new Set(
      rows.flatMap((r) => [
        `${r.ours.label}: ${r.ours.durability}`,
        `${r.raw.label}: ${r.raw.durability}`,
        ...(r.peer ? [`${r.peer.label}: ${r.peer.durability}`] : []),
      ]),
    );
    for (const note of notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Replaces the generated part of docs/benchmarks.md, keeping everything written by hand around it. */
export function writeDocs(results: BenchResults, file = docsFile): void {
  const generated = `${start}\n${markdown(results)}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${file} has lost its ${start} / ${end} markers`);
  writeFileSync(file, `${current.slice(0, from)}${generated}${current.slice(to + end.length)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = JSON.parse(readFileSync(process.argv[2] ?? resultsFile, 'utf8')) as BenchResults;
  writeDocs(results);
  console.log(`wrote ${docsFile} from ${process.argv[2] ?? resultsFile}`);
}
