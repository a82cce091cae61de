import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childCommand } from '../child-command.js';
import { peersDir } from '../peers.js';
import { depositEvents } from '../workload.js';
import { count, type Sample, type Scenario, sized } from './types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A full replay of the log, read in position order and decoded. Each replay runs in a child process of its own,
 * so its peak memory is the kernel's maximum RSS of that process alone (node and the driver included).
 */
export const replay: Scenario = {
  name: 'replay',
  title: 'Full replay of the log (readAll)',
  description:
    'Reads every event of a log of 1,000 streams in position order, decoding data and metadata, in a fresh process.',
  durabilities: ['strict'],
  goal: (backend) =>
    backend === 'sqlite'
      ? { ratioAtLeast: 0.8, rateAtLeast: 400_000, peakRssBelowMB: 200 }
      : { ratioAtLeast: 0.8 },
  // On PostgreSQL the raw driver seeds with one INSERT per event, so its log is kept smaller.
  size: (at) => ({
    events: sized(at, { strict: [1_000_000, 100_000], normal: [0, 0], postgres: [200_000, 20_000] }),
    eventsPerAppend: 1000,
  }),
  async seed(log, size) {
    const events = count(size, 'events');
    const per = count(size, 'eventsPerAppend');
    for (let i = 0; i < events / per; i++) await log.append(`account-${i}`, depositEvents(i * per, per));
  },
  measure(run, size) {
    const config = {
      backend: run.system.backend,
      system: run.system.id,
      target: run.target,
      durability: run.durability,
    };
    return inChild(JSON.stringify({ ...config, expected: count(size, 'events') }));
  },
};

async function inChild(config: string): Promise<Sample> {
  const { args, runtime } = await childCommand();
  const sample = await new Promise<Sample>((resolve, reject) => {
    const proc = spawn(process.execPath, [...args, config], {
      cwd: root,
      env: { ...process.env, HINDSIGHT_BENCH_PEERS_DIR: peersDir },
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as Sample);
      else reject(new Error(`replay child exited with ${code}: ${err.trim() || out.trim()}`));
    });
  });
  return sample.memory ? { ...sample, memory: { ...sample.memory, runtime } } : sample;
}
