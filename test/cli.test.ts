import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { createSqliteEventStore, type SqliteEventStore } from 'hindsight/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionalInteger, parseJson } from '../src/cli/log-commands.js';
import { createProgram } from '../src/cli/program.js';
import { parsePort } from '../src/cli/serve.js';
import { parseAsOf } from '../src/cli/state.js';

const root = new URL('..', import.meta.url).pathname;
const main = join(root, 'src/cli/main.ts');
const run = promisify(execFile);

let dir: string;
let data: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-cli-'));
  data = join(dir, 'data');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a user with no Hindsight settings of their own. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const key of ['HINDSIGHT_DATA', 'HINDSIGHT_DATABASE_URL', 'HINDSIGHT_TOKENS', 'PORT'])
    delete clean[key];
  return { ...clean, ...extra };
}

/** Runs the CLI to completion (node itself with tsx's loader, so a kill reaches the real process). */
async function cli(args: string[], extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main, ...args], {
      cwd: root,
      env: env({ HINDSIGHT_DATA: data, ...extra }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Opens the SQLite store of a data folder in this process, for setting up or checking what the CLI did. */
async function withStore<T>(folder: string, work: (store: SqliteEventStore) => Promise<T>): Promise<T> {
  mkdirSync(folder, { recursive: true });
  const store = createSqliteEventStore({ file: join(folder, 'events.sqlite') });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Starts a long-running command and collects its output. */
function start(args: string[], extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    env: env({ HINDSIGHT_DATA: data, ...extra }),
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    out.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    out.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

async function waitFor(check: () => boolean, what: string, out: { stdout: string; stderr: string }) {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(out)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('CLI argument checks', () => {
  it('refuses bad JSON, integers and instants with a message naming the flag', () => {
    expect(() => parseJson('{oops', 'the event data')).toThrow(/the event data is not JSON/);
    expect(() => optionalInteger('-1', '--from', 0)).toThrow(/--from must be an integer/);
    expect(() => optionalInteger('0', '--limit', 1)).toThrow(/--limit must be an integer of at least 1/);
    expect(() => parseAsOf({ at: 'yesterday' })).toThrow(/--at must be an ISO-8601 instant/);
    expect(() => parseAsOf({ version: '1', position: '2' })).toThrow(/one of/);
    expect(parseAsOf({ at: '2026-01-31T12:00:00Z' })).toEqual({ time: new Date('2026-01-31T12:00:00Z') });
    expect(() => parsePort('70000')).toThrow(/port/);
  });
});

describe('hindsight CLI', () => {
  it('has help for every command', async () => {
    const commands = [
      'serve',
      'append',
      'read',
      'tail',
      'state',
      'export',
      'import',
      'doctor',
      'projections',
      'snapshots',
      'demo',
    ];
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toContain(c);
    // Each command's help, in this process: the same program the binary runs.
    const program = createProgram();
    expect(program.commands.map((c) => c.name())).toEqual(commands);
    for (const command of program.commands) {
      const help = command.helpInformation();
      expect(help).toContain(`Usage: hindsight ${command.name()}`);
      expect(help.length).toBeGreaterThan(200);
    }
  });

  it('appends, reads, folds state as of the past, and checks the store', async () => {
    let between = '';
    const opened = await cli(['append', 'acc-1', 'AccountOpened', '{"owner":"ada","currency":"EUR"}']);
    expect(opened.code, opened.stderr).toBe(0);
    expect(JSON.parse(opened.stdout)).toEqual({ streamId: 'acc-1', streamVersion: 1, position: 1 });
    // Two more in this process, with a moment between them for --at to fall into.
    await withStore(data, async (store) => {
      await store.appendToStream('acc-1', [
        { type: 'MoneyDeposited', data: { amount: 5000 }, metadata: { actor: 'teller' } },
      ]);
      await new Promise((r) => setTimeout(r, 20));
      between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      await store.appendToStream('acc-1', [{ type: 'MoneyWithdrawn', data: { amount: 1200 }, metadata: {} }]);
    });
    const stale = await cli(['append', 'acc-1', 'MoneyWithdrawn', '{"amount":1}', '--expected-version', '1']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('WrongExpectedVersion');

    const ndjson = await cli(['read', 'acc-1', '--format', 'ndjson']);
    const events = ndjson.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.type, e.streamVersion, e.position, e.metadata.actor])).toEqual([
      ['AccountOpened', 1, 1, expect.stringMatching(/^cli:/)],
      ['MoneyDeposited', 2, 2, 'teller'],
      ['MoneyWithdrawn', 3, 3, undefined],
    ]);
    const table = await cli(['read', '--from', '2', '--limit', '1', '--format', 'table']);
    expect(table.stdout).toMatch(/^position +stream/);
    expect(table.stdout).toContain('MoneyDeposited');
    expect(table.stdout).toContain('1 event\n');

    const now = JSON.parse((await cli(['state', 'acc-1'])).stdout);
    expect(now).toMatchObject({ streamVersion: 3, state: { status: 'open', balance: 3800, owner: 'ada' } });
    const atVersion = JSON.parse((await cli(['state', 'acc-1', '--version', '1'])).stdout);
    expect(atVersion).toMatchObject({ asOf: { version: 1 }, state: { balance: 0 } });
    const atInstant = JSON.parse((await cli(['state', 'acc-1', '--at', between])).stdout);
    expect(atInstant).toMatchObject({ streamVersion: 2, state: { balance: 5000 } });

    const doctor = await cli(['doctor', '--json']);
    expect(doctor.code).toBe(0);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ headPosition: 3, events: 3, streams: 1, problems: [] });
  });

  it('exports and imports into an empty store keeping ids, versions, positions and times', async () => {
    const file = join(dir, 'export.ndjson');
    const exported = await cli(['export', '--out', file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/exported 3 events/);
    const other = join(dir, 'other');
    const imported = await cli(['import', file, '--data', other]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported 3 events in 1 stream/);
    const again = await cli(['export', '--data', other]);
    expect(again.stdout).toBe(readFileSync(file, 'utf8'));
    const refused = await cli(['import', file, '--data', other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('only fills an empty store');
    const after = await withStore(other, (store) =>
      store.appendToStream('acc-2', [{ type: 'Opened', data: {} }]),
    );
    expect(after.position).toBe(4);
  });

  it('refuses an import with a gap in a stream and stores none of it', async () => {
    const file = join(dir, 'export.ndjson');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const broken = join(dir, 'broken.ndjson');
    writeFileSync(broken, `${[lines[0], lines[2]].join('\n')}\n`);
    const target = join(dir, 'broken-target');
    const res = await cli(['import', broken, '--data', target]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/line 2: stream acc-1 must be at version 2/);
    const db = new Database(join(target, 'events.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    db.close();
  });

  it.concurrent('tail follows appends and ends with a summary on SIGINT', async () => {
    const folder = join(dir, 'tailed');
    await withStore(folder, (store) =>
      store.appendToStream('t', [
        { type: 'First', data: 1 },
        { type: 'Second', data: 2 },
      ]),
    );
    const tail = start(['tail', '--from', '2', '--format', 'ndjson'], { HINDSIGHT_DATA: folder });
    children.push(tail.child);
    await waitFor(() => tail.out.stdout.includes('Second'), 'the caught-up event', tail.out);
    expect(tail.out.stdout).not.toContain('First');
    // Appended by another process: the tail finds it by polling the file.
    await withStore(folder, (store) => store.appendToStream('t', [{ type: 'Third', data: 3 }]));
    await waitFor(() => tail.out.stdout.trim().split('\n').length === 2, 'the live event', tail.out);
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    expect(tail.out.stderr).toMatch(/followed 2 events, the last at position 3/);
  });

  it.concurrent('serve on a port in use says so and exits, leaving nothing running', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const server = start(['serve', '--port', String(port)], { HINDSIGHT_DATA: join(dir, 'taken') });
      children.push(server.child);
      expect(await server.exited).toBe(1);
      expect(server.out.stderr).toMatch(/EADDRINUSE/);
    } finally {
      taken.close();
    }
  });

  it.concurrent('serve listens on the port it is given (0: a free one), prints it and its admin token, and stops on SIGTERM', async () => {
    const fresh = join(dir, 'served');
    const server = start(['serve', '--port', '0'], { HINDSIGHT_DATA: fresh });
    children.push(server.child);
    await waitFor(() => /listening on (http:\/\/\S+)/.test(server.out.stdout), 'the address', server.out);
    const address = (/listening on (http:\/\/\S+)/.exec(server.out.stdout) as RegExpExecArray)[1] as string;
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const token = readFileSync(join(fresh, 'admin-token'), 'utf8').trim();
    expect(server.out.stdout).toContain(token);
    expect(statSync(join(fresh, 'admin-token')).mode & 0o777).toBe(0o600);
    expect((await fetch(`${address}/events`)).status).toBe(401);
    const appended = await fetch(`${address}/streams/acc-9`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ type: 'AccountOpened', data: { owner: 'x', currency: 'EUR' } }] }),
    });
    expect(appended.status).toBe(201);
    const read = await fetch(`${address}/streams/acc-9`, { headers: { authorization: `Bearer ${token}` } });
    expect((await read.json()).events[0].metadata).toEqual({ actor: 'admin' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.out.stdout).toContain('stopped');
  });
});
