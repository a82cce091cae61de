// A real `hindsight serve` process for the bank's end-to-end tests, and a small client for it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const main = join(root, 'src/cli/main.ts');

export const tokens = {
  reader: 'bank-reader-token-0123456789',
  writer: 'bank-writer-token-0123456789',
  admin: 'bank-admin-token-0123456789',
};
export type Role = keyof typeof tokens;
/** The actor each token records on its events. */
export const actors: Record<Role, string> = { reader: 'rita', writer: 'will', admin: 'ada' };

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface BankServer {
  url: string;
  /** Calls the API as a role (or with no token, or any other Authorization header). */
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON the tests pick apart; each expect checks its shape
  call<T = any>(
    method: string,
    path: string,
    options?: { as?: Role | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `hindsight serve --port 0` as a child process (node with tsx's loader, as the CLI tests do), on a fresh
 * data folder, or on PostgreSQL when `databaseUrl` is given, and waits for the address it prints.
 */
export async function startBankServer(options: { databaseUrl?: string } = {}): Promise<BankServer> {
  const data = mkdtempSync(join(tmpdir(), 'hindsight-bank-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['HINDSIGHT_DATA', 'HINDSIGHT_DATABASE_URL', 'PORT']) delete env[key];
  env.HINDSIGHT_TOKENS = (Object.keys(tokens) as Role[])
    .map((r) => `${tokens[r]}:${actors[r]}:${r}`)
    .join(',');
  if (options.databaseUrl) env.HINDSIGHT_DATABASE_URL = options.databaseUrl;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', main, 'serve', '--port', '0', '--data', data],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  child.stderr?.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start: ${out}`);
    }
    if (!url) await new Promise((r) => setTimeout(r, 20));
  }
  const base = url;
  return {
    url: base,
    async call(method, path, { as = 'writer', body, raw, headers = {} } = {}) {
      const h: Record<string, string> = { ...headers };
      if (as) h.authorization = `Bearer ${tokens[as]}`;
      if (body !== undefined || raw !== undefined) h['content-type'] ??= 'application/json';
      const res = await fetch(`${base}${path}`, {
        method,
        headers: h,
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, headers: res.headers, body: parsed as never };
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
