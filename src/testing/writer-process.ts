import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WriterAck, WriterInput } from './writer-protocol.js';

const typescript = /\.[mc]?ts$/;
const startupTimeoutMs = 20_000;

/**
 * The writer process of the kill -9 case. It starts at once and opens the store, then waits: starting the next
 * writer while the current one works keeps the case fast, and a writer only appends once told to go.
 */
export class WriterProcess {
  /** Resolves once the writer has opened the store and waits for `go`. */
  readonly ready: Promise<void>;
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly acks: WriterAck[] = [];
  private readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private killed = false;

  constructor(store: { module: string; config: unknown }, run: string) {
    const here = fileURLToPath(import.meta.url);
    const writer = join(here, '..', `child-writer${extname(here)}`);
    const input: WriterInput = { module: store.module, config: store.config, run, workers: 4 };
    const loader = typescript.test(writer) || typescript.test(store.module) ? ['--import', tsxLoader()] : [];
    this.child = spawn(process.execPath, [...loader, writer, JSON.stringify(input)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.ended = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal })),
    );
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop();
        reject(new Error(`the writer process did not start within ${startupTimeoutMs} ms: ${this.stderr}`));
      }, startupTimeoutMs);
      void this.ended.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the writer process ended before it was ready (${code ?? signal}): ${this.stderr}`));
      });
      this.readLines(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.ready.catch(() => {});
  }

  /** Lets the writer append for `ms`, kills it with SIGKILL, and resolves with what it acknowledged. */
  async writeUntilKilled(ms: number): Promise<WriterAck[]> {
    await this.ready;
    this.child.stdin.write('go\n');
    const timer = setTimeout(() => this.stop(), ms);
    const { code, signal } = await this.ended;
    clearTimeout(timer);
    if (!this.killed || signal !== 'SIGKILL') {
      throw new Error(`the writer process ended by itself (code ${code}, signal ${signal}): ${this.stderr}`);
    }
    return this.acks;
  }

  /** Kills the writer if it still runs. */
  stop(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killed = true;
    this.child.kill('SIGKILL');
  }

  private readLines(onReady: () => void): void {
    let pending = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      // The last piece is a line still being written, or one the kill cut short: never an acknowledgement.
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as WriterAck | { ready: true };
        if ('ready' in message) onReady();
        else this.acks.push(message);
      }
    });
  }
}

function tsxLoader(): string {
  for (const base of [import.meta.url, pathToFileURL(join(process.cwd(), 'package.json')).href]) {
    try {
      return pathToFileURL(createRequire(base).resolve('tsx')).href;
    } catch {
      // Not installed next to this file; try the project being tested.
    }
  }
  throw new Error('the kill -9 case starts a TypeScript module in a child process: install tsx to run it');
}
