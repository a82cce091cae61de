// `hindsight demo` as a real CLI process against a real `hindsight serve` process, checked through the API.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BankServer, type Reply, startBankServer, tokens } from './bank/server-process.js';

const root = new URL('..', import.meta.url).pathname;
const main = join(root, 'src/cli/main.ts');
const run = promisify(execFile);

async function demo(args: string[]) {
  const env = { ...process.env };
  for (const key of ['HINDSIGHT_DATA', 'HINDSIGHT_TOKEN', 'HINDSIGHT_TOKENS']) delete env[key];
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main, 'demo', ...args], {
      cwd: root,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let server: BankServer;
beforeAll(async () => {
  server = await startBankServer();
}, 30_000);
afterAll(async () => {
  await server?.stop();
});

/** Every item of a paged bank list (`items` and `next`). */
async function all<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const query = `${sep}limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const page: Reply<{ items: T[]; next: string | null }> = await server.call('GET', `${path}${query}`, {
      as: 'reader',
    });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.next;
  } while (cursor !== null);
  return items;
}

type LogEvent = { type: string; data: Record<string, unknown>; position: number };

/** Every event of the log that matches a query (`&type=…`). */
async function events(query: string): Promise<LogEvent[]> {
  const found: LogEvent[] = [];
  let from: number | null = 1;
  while (from !== null) {
    const page: Reply<{ events: LogEvent[]; next: number | null }> = await server.call(
      'GET',
      `/events?limit=1000&from=${from}${query}`,
      { as: 'reader' },
    );
    expect(page.status).toBe(200);
    found.push(...page.body.events);
    from = page.body.next;
  }
  return found;
}

describe('hindsight demo', () => {
  it('drives traffic that opens accounts, settles every kind of transfer, raises alerts and conserves money', async () => {
    const result = await demo([
      '--url',
      server.url,
      '--token',
      tokens.writer,
      '--accounts',
      '12',
      '--duration',
      '4',
      '--concurrency',
      '6',
      '--prefix',
      'tdemo',
    ]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    // One summary line on stdout; progress on stderr.
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^demo tdemo: 12 accounts \(\+2 closed\); [\d,]+ operations in [\d.]+ s \(\d+\/s\): /,
    );
    expect(lines[0]).toMatch(/transfers [\d,]+ completed, [1-9][\d,]* failed, [1-9][\d,]* compensated;/);
    expect(lines[0]).toMatch(/withdrawal [^;]*InsufficientFunds/);
    expect(lines[0]).toMatch(/[1-9][\d,]* alerts \(/);
    expect(lines[0]).not.toMatch(/UNEXPECTED|pending/);
    expect(result.stderr).toContain('demo: 12 accounts open and 2 closed (tdemo-…)');

    const head = (await events('')).at(-1)?.position ?? 0;
    const accounts = await all<{ accountId: string; balance: number; status: string }>(
      `/accounts?minPosition=${head}&timeoutMs=20000`,
    );
    expect(accounts.filter((a) => a.accountId.startsWith('tdemo-') && a.status === 'open')).toHaveLength(12);
    expect(
      accounts.filter((a) => a.accountId.startsWith('tdemo-closed-') && a.status === 'closed'),
    ).toHaveLength(2);

    // Every transfer the log started has ended, in each of the three ways.
    const started = await events('&streamPrefix=saga:transfer:&type=SagaStarted');
    expect(started.length).toBeGreaterThan(3);
    const statuses = new Set<string>();
    for (const e of started) {
      const id = (e.data.input as { transferId: string }).transferId;
      const transfer = await server.call('GET', `/transfers/${id}`, { as: 'reader' });
      expect(transfer.status).toBe(200);
      statuses.add(transfer.body.status);
    }
    expect([...statuses].sort()).toEqual(['compensated', 'completed', 'failed']);

    // Alerts of both rules on the demo's accounts.
    const alerts = await all<{ rule: string; accountId: string }>(
      `/alerts?minPosition=${head}&timeoutMs=20000`,
    );
    expect(new Set(alerts.filter((a) => a.accountId.startsWith('tdemo-')).map((a) => a.rule))).toEqual(
      new Set(['large-withdrawal', 'withdrawal-burst']),
    );

    // Money is conserved: the balances add up to deposits minus withdrawals as the log says, and every transfer's
    // debit came back as a credit or a refund.
    const sum = (list: { data: Record<string, unknown> }[]) =>
      list.reduce((total, e) => total + (e.data.amount as number), 0);
    const moved = await events(
      '&streamPrefix=account-&type=MoneyDeposited&type=MoneyWithdrawn&type=TransferDebited&type=TransferCredited&type=TransferRefunded',
    );
    const of = (type: string) => sum(moved.filter((e) => e.type === type));
    const balances = accounts.reduce((total, a) => total + a.balance, 0);
    expect(balances).toBe(of('MoneyDeposited') - of('MoneyWithdrawn'));
    expect(of('TransferDebited')).toBe(of('TransferCredited') + of('TransferRefunded'));
    expect(of('TransferRefunded')).toBeGreaterThan(0);
  }, 60_000);

  it('takes the admin token from the data folder, and runs a number of operations', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hindsight-demo-'));
    try {
      writeFileSync(join(data, 'admin-token'), `${tokens.admin}\n`, { mode: 0o600 });
      const result = await demo([
        '--url',
        server.url,
        '--data',
        data,
        '--accounts',
        '3',
        '--operations',
        '20',
      ]);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^demo demo-[0-9a-f]{6}: 3 accounts \(\+1 closed\); 20 operations in /);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 30_000);

  it('says why when the token is wrong or too weak for commands', async () => {
    const wrong = await demo(['--url', server.url, '--token', 'not-a-known-token-at-all', '--duration', '1']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the token \(401\)/);
    const reader = await demo(['--url', server.url, '--token', tokens.reader, '--duration', '1']);
    expect(reader.code).toBe(1);
    expect(reader.stderr).toMatch(/role cannot run commands/);
  }, 30_000);
});
