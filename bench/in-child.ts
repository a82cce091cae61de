// The parent's side of a child process: it starts bench/child.ts (as child-command.ts says) for one seeding or one
// measured run and reads its last line of stdout. The child's stderr (progress, a scenario's notes) is passed on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childCommand } from './child-command.js';
import { peersDir } from './peers.js';
import type { Sample, Size } from './scenarios/types.js';
import type { Backend, Durability, Target } from './systems/types.js';

/** What a child is asked to do: seed or measure one scenario's log for one system. */
export interface ChildTask {
  work: 'seed' | 'measure';
  scenario: string;
  backend: Backend;
  /** A system id, as `findSystem` takes it. */
  system: string;
  target: Target;
  durability: Durability;
  size: Size;
}

/** The child's last line of stdout. `error` is the error's stack as the child had it. */
export type ChildReply = { seeded: true } | { sample: Sample } | { error: string };

const root = fileURLToPath(new URL('..', import.meta.url));

/** Seeds the task's log in a child process; rejects with the child's error. */
export async function seedInChild(task: Omit<ChildTask, 'work'>): Promise<void> {
  const reply = await inChild({ ...task, work: 'seed' });
  if (!('seeded' in reply)) throw new Error(`seeding child answered ${JSON.stringify(reply)}`);
}

/** Measures one run in a child process; its memory is that process's, and says how the child ran. */
export async function measureInChild(task: Omit<ChildTask, 'work'>): Promise<Sample> {
  const reply = await inChild({ ...task, work: 'measure' });
  if (!('sample' in reply)) throw new Error(`measuring child answered ${JSON.stringify(reply)}`);
  const { runtime } = await childCommand();
  const { sample } = reply;
  return sample.memory ? { ...sample, memory: { ...sample.memory, runtime } } : sample;
}

async function inChild(task: ChildTask): Promise<Exclude<ChildReply, { error: string }>> {
  const { args } = await childCommand();
  const reply = await new Promise<ChildReply>((resolve, reject) => {
    const proc = spawn(process.execPath, [...args, JSON.stringify(task)], {
      cwd: root,
      env: { ...process.env, HINDSIGHT_BENCH_PEERS_DIR: peersDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      err = (err + chunk).slice(-4000);
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (last.startsWith('{')) return resolve(JSON.parse(last) as ChildReply);
      reject(new Error(`${task.work} child exited with ${signal ?? code}: ${err.trim() || out.trim()}`));
    });
  });
  if (!('error' in reply)) return reply;
  // The child's stack, so that a failure reads as it did when the work ran in this process.
  const error = new Error(reply.error.split('\n')[0]?.replace(/^\w*Error: /, ''));
  error.stack = reply.error;
  throw error;
}
