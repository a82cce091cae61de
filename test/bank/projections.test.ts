// The bank's projections on SQLite and PostgreSQL hold what the pure fold of the log says, batch boundaries,
// transfer legs and rebuilds included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, handleCommand, type ProjectionRunner, type RecordedEvent } from 'hindsight';
import { createPostgresEventStore, createPostgresProjectionRunner } from 'hindsight/postgres';
import { createSqliteEventStore, createSqliteProjectionRunner } from 'hindsight/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { type AccountCommand, AccountError, account, accountStream } from '../../src/domains/bank/account.js';
import { postgresBankViews } from '../../src/domains/bank/postgres/queries.js';
import { foldBankViews } from '../../src/domains/bank/projections/fold.js';
import type { BankQueries, BankViews } from '../../src/domains/bank/queries.js';
import { sqliteBankViews } from '../../src/domains/bank/sqlite/queries.js';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from '../support/postgres.js';

const names = ['bank-balances', 'bank-history', 'bank-daily', 'bank-alerts'];

/** A random but valid day of a bank: deposits, withdrawals (some large, some in bursts), transfers, closings. */
async function traffic(store: EventStore, seed: number) {
  let s = seed;
  const random = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const run = async (id: string, command: AccountCommand) => {
    try {
      await handleCommand(store, accountStream(id), account, command, { metadata: { actor: `actor-${id}` } });
      return true;
    } catch (error) {
      if (error instanceof AccountError) return false;
      throw error;
    }
  };
  for (const id of ids)
    await run(id, { type: 'OpenAccount', data: { owner: `owner ${id}`, currency: 'EUR' } });
  for (let i = 0; i < 400; i++) {
    const id = ids[Math.floor(random() * ids.length)] as string;
    const r = random();
    const amount = random() < 0.05 ? 1_000_000 + Math.floor(random() * 10) : 1 + Math.floor(random() * 5000);
    if (r < 0.35) await run(id, { type: 'Deposit', data: { amount: amount * 2 } });
    else if (r < 0.7) await run(id, { type: 'Withdraw', data: { amount } });
    else if (r < 0.98) {
      const to = ids[Math.floor(random() * ids.length)] as string;
      const transferId = `t${i}`;
      if (to === id || !(await run(id, { type: 'DebitTransfer', data: { transferId, to, amount } })))
        continue;
      if (!(await run(to, { type: 'CreditTransfer', data: { transferId, from: id, amount } }))) {
        expect(await run(id, { type: 'RefundTransfer', data: { transferId, amount } })).toBe(true);
      }
    } else await run(id, { type: 'CloseAccount', data: {} });
  }
}

async function viewsOf(queries: BankQueries) {
  const balances = await queries.accounts(undefined, 1000);
  const history = (await Promise.all(balances.map((b) => queries.history(b.accountId, 1, 10_000)))).flat();
  history.sort((a, b) => a.position - b.position);
  return {
    balances,
    history,
    daily: await queries.daily('0000-01-01', '9999-12-31'),
    alerts: await queries.alerts(undefined, 10_000),
  };
}

async function logOf(store: EventStore) {
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll({ streamPrefix: 'account-' })) events.push(e);
  return events;
}

async function checkViews(store: EventStore, views: BankViews, runner: ProjectionRunner) {
  const head = await store.headPosition();
  for (const name of names) await runner.waitFor(name, head, { timeoutMs: 20_000 });
  const expected = foldBankViews(await logOf(store));
  expect(expected.alerts.length).toBeGreaterThan(0);
  expect(expected.history.some((h) => h.type === 'TransferCredited')).toBe(true);
  const actual = await viewsOf(views.queries);
  expect(actual).toEqual(expected);
  // Money is conserved: the balances add up to deposits less withdrawals.
  const moved = expected.history.reduce(
    (sum, h) =>
      sum +
      (h.type === 'MoneyDeposited' ? (h.amount ?? 0) : h.type === 'MoneyWithdrawn' ? -(h.amount ?? 0) : 0),
    0,
  );
  expect(actual.balances.reduce((sum, b) => sum + b.balance, 0)).toBe(moved);
  return actual;
}

const fastRunner = { batchSize: 7, pollIntervalMs: 10 };

/** Random traffic, then the views must equal the fold of the log, live and again after rebuilding each one. */
async function foldAndRebuild(
  store: EventStore,
  views: BankViews,
  runner: ProjectionRunner,
  seed: number,
): Promise<void> {
  await runner.start();
  try {
    await traffic(store, seed);
    const live = await checkViews(store, views, runner);
    for (const name of names) await runner.rebuild(name);
    expect(await checkViews(store, views, runner)).toEqual(live);
  } finally {
    await runner.stop();
    await store.close();
  }
}

describe('bank projections on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-bank-views-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answer NotCaughtUp (503), not a failure, before the runner has made the views', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    const { queries } = sqliteBankViews(store);
    for (const query of [() => queries.account('a'), () => queries.accounts(undefined, 1)]) {
      await expect(query()).rejects.toMatchObject({ status: 503, code: 'NotCaughtUp' });
    }
    await store.close();
  });

  it('hold the fold of the log, live in small batches and after a rebuild (same alert ids)', async () => {
    const store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
    const views = sqliteBankViews(store);
    await foldAndRebuild(store, views, createSqliteProjectionRunner(store, views.projections, fastRunner), 1);
  });
});

describePostgres('bank projections on PostgreSQL', () => {
  const schema = uniqueSchema('bank_views');
  afterAll(() => dropSchema(schema));

  it('hold the fold of the log, live in small batches and after a rebuild (same alert ids)', async () => {
    const store = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 6 });
    const views = postgresBankViews(store);
    await foldAndRebuild(
      store,
      views,
      createPostgresProjectionRunner(store, views.projections, fastRunner),
      2,
    );
  });
});
