import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataLockFile } from '../src/cli/data-lock.js';
import { createProgram } from '../src/cli/program.js';

// `hindsight projections` and `hindsight snapshots`, run as the real CLI process on a SQLite data folder.

const root = new URL('..', import.meta.url).pathname;
const main = join(root, 'src/cli/main.ts');
const run = promisify(execFile);

let dir: string;
let data: string;

function env(): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const key of ['HINDSIGHT_DATA', 'HINDSIGHT_DATABASE_URL', 'HINDSIGHT_TOKENS', 'PORT'])
    delete clean[key];
  return { ...clean, HINDSIGHT_DATA: data };
}

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main, ...args], {
      cwd: root,
      env: env(),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Reads the data folder's SQLite file directly, to check what a command did. */
function query<T>(sql: string): T[] {
  const db = new Database(join(data, 'events.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-cli-ops-'));
  data = join(dir, 'data');
  mkdirSync(data);
  const store = createSqliteEventStore({ file: join(data, 'events.sqlite') });
  await store.appendToStream('account-a1', [
    { type: 'AccountOpened', data: { owner: 'ada', currency: 'EUR' }, metadata: { actor: 'teller' } },
    { type: 'MoneyDeposited', data: { amount: 500 }, metadata: { actor: 'teller' } },
    { type: 'MoneyWithdrawn', data: { amount: 120 }, metadata: { actor: 'teller' } },
  ]);
  await store.appendToStream('account-b2', [
    { type: 'AccountOpened', data: { owner: 'bob', currency: 'EUR' }, metadata: { actor: 'teller' } },
  ]);
  await store.appendToStream('other-1', [{ type: 'Unrelated', data: {} }]);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hindsight projections', () => {
  it('has help for status and rebuild, and lists the commands beside the others', async () => {
    const program = createProgram();
    for (const parent of ['projections', 'snapshots']) {
      const command = program.commands.find((c) => c.name() === parent);
      expect(command, parent).toBeDefined();
      for (const sub of command?.commands ?? []) {
        expect(sub.helpInformation()).toContain(`Usage: hindsight ${parent} ${sub.name()}`);
      }
    }
    const help = await cli(['projections', 'rebuild', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('build a fresh copy of a view');
  });

  it('shows each projection of the service with its stored version, checkpoint and lag', async () => {
    const res = await cli(['projections', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const rows = JSON.parse(res.stdout) as { name: string; storedVersion: number | null; lag: number }[];
    expect(rows.map((r) => r.name)).toEqual(['bank-balances', 'bank-history', 'bank-daily', 'bank-alerts']);
    for (const r of rows)
      expect(r).toMatchObject({ storedVersion: null, position: 0, lag: 5, headPosition: 5 });
    const table = await cli(['projections']);
    expect(table.stdout).toMatch(/^projection +kind +version +checkpoint/);
    expect(table.stdout).toContain('not built');
    expect(table.stdout).toContain('4 projections; head of the log: position 5');
  });

  it('rebuilds a projection from the log and swaps it in, with a one-line summary', async () => {
    const res = await cli(['projections', 'rebuild', 'bank-balances']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^rebuilt bank-balances v1: 4 events up to position 5 in \d+\.\d s\n$/);
    const balances = query<{ account_id: string; balance: number }>(
      'SELECT account_id, balance FROM bank_balances ORDER BY account_id',
    );
    expect(balances).toEqual([
      { account_id: 'a1', balance: 380 },
      { account_id: 'b2', balance: 0 },
    ]);
    const rows = JSON.parse((await cli(['projections', '--json'])).stdout) as Record<string, unknown>[];
    expect(rows.find((r) => r.name === 'bank-balances')).toMatchObject({
      storedVersion: 1,
      position: 5,
      lag: 0,
      state: 'caught up',
    });
    // Again: a fresh copy replaces the first, and the answer is the same.
    expect((await cli(['projections', 'rebuild', 'bank-balances'])).code).toBe(0);
    expect(query('SELECT account_id, balance FROM bank_balances ORDER BY account_id')).toEqual(balances);
    expect(existsSync(join(data, dataLockFile))).toBe(false);
  });

  it('refuses an unknown projection, naming the known ones', async () => {
    const res = await cli(['projections', 'rebuild', 'nope']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no projection named "nope"; the service has: bank-balances');
  });

  it('refuses to rebuild while a server uses the data folder, and a second server too', async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--port', '0'], {
      cwd: root,
      env: env(),
    });
    let out = '';
    server.stdout.on('data', (c) => {
      out += c;
    });
    server.stderr.on('data', (c) => {
      out += c;
    });
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes('listening on')) {
        if (Date.now() > deadline || server.exitCode !== null) throw new Error(`no server: ${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const refused = await cli(['projections', 'rebuild', 'bank-balances']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/hindsight serve \(pid \d+\) is using .* stop it first/);
      const second = await cli(['serve', '--port', '0']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('hindsight serve (pid');
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(join(data, dataLockFile))).toBe(false);
    expect((await cli(['projections', 'rebuild', 'bank-balances'])).code).toBe(0);
  }, 60_000);
});

describe('hindsight snapshots', () => {
  type Row = {
    stream_id: string;
    name: string;
    shape_version: number;
    stream_version: number;
    state: string;
  };
  const snapshots = () =>
    query<Row>(
      'SELECT stream_id, name, shape_version, stream_version, state FROM snapshots ORDER BY stream_id',
    );

  it('rebuilds the snapshots of every stream of the decider, or of one stream, from the events', async () => {
    const all = await cli(['snapshots', 'rebuild']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(
      /^snapshotted 2 streams \(streams starting with "account-"\) as account shape 1, folding 4 events/,
    );
    const rows = snapshots();
    expect(rows.map((r) => [r.stream_id, r.name, r.shape_version, r.stream_version])).toEqual([
      ['account-a1', 'account', 1, 3],
      ['account-b2', 'account', 1, 1],
    ]);
    expect(JSON.parse((rows[0] as Row).state)).toMatchObject({ status: 'open', owner: 'ada', balance: 380 });

    const one = await cli(['snapshots', 'rebuild', 'account-a1']);
    expect(one.stdout).toMatch(/^snapshotted 1 stream \(account-a1\)/);
    const missing = await cli(['snapshots', 'rebuild', 'account-zz']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no stream "account-zz"');
    const unknown = await cli(['snapshots', 'rebuild', '--decider', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--decider must be one of account');
  });

  it('prunes snapshots, by name or all', async () => {
    const other = await cli(['snapshots', 'prune', '--name', 'someone-else']);
    expect(other.stdout).toMatch(/^deleted 0 snapshots named someone-else/);
    expect(snapshots()).toHaveLength(2);
    const res = await cli(['snapshots', 'prune']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^deleted 2 snapshots;/);
    expect(snapshots()).toEqual([]);
  });
});
