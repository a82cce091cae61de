// The SQLite projection cases (sqlite.test.ts) on PostgreSQL, plus what only PostgreSQL has: wake-ups by NOTIFY
// across store objects, and ownership of a projection by one runner at a time.
import fc from 'fast-check';
import {
  memoryProjection,
  memoryProjectionBackend,
  type ProjectionRunner,
  soleOwnership,
  subscribe,
} from 'hindsight';
import {
  createPostgresEventStore,
  createPostgresProjectionRunner,
  type PostgresEventStore,
  postgresProjectionBackend,
} from 'hindsight/postgres';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from '../support/postgres.js';
import { postgresBalancesProjection } from './balances.js';

const cleanup: (() => Promise<void>)[] = [];
let schema: string;
let store: PostgresEventStore;

async function openStore(name: string): Promise<PostgresEventStore> {
  const opened = await createPostgresEventStore({ connectionString: databaseUrl, schema: name, poolSize: 4 });
  cleanup.push(() => opened.close());
  return opened;
}

beforeEach(async () => {
  schema = uniqueSchema('projections');
  cleanup.push(() => dropSchema(schema));
  store = await openStore(schema);
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function runner(...args: Parameters<typeof createPostgresProjectionRunner>): ProjectionRunner {
  const r = createPostgresProjectionRunner(...args);
  cleanup.push(() => r.stop());
  return r;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const deposit = (account: string, amount: number, on: PostgresEventStore = store) =>
  on.appendToStream(account, [{ type: 'MoneyDeposited', data: { amount } }]);

/** `count` deposits of `amount` spread over `accounts` accounts, a hundred per append. */
async function depositMany(count: number, accounts: number, amount: number): Promise<void> {
  for (let done = 0; done < count; done += 100) {
    const byAccount = new Map<string, { type: string; data: { amount: number } }[]>();
    for (let i = done; i < Math.min(count, done + 100); i++) {
      const account = `a-${i % accounts}`;
      byAccount.set(account, [
        ...(byAccount.get(account) ?? []),
        { type: 'MoneyDeposited', data: { amount } },
      ]);
    }
    await store.appendToStreams([...byAccount].map(([streamId, events]) => ({ streamId, events })));
  }
}

async function balance(account: string, table = `"${schema}".balances`): Promise<number | undefined> {
  const { rows } = await store.pool.query<{ balance: string }>(
    `SELECT balance FROM ${table} WHERE account_id = $1`,
    [account],
  );
  return rows[0] && Number(rows[0].balance);
}

async function allRows(table: string, on: PostgresEventStore = store): Promise<unknown[]> {
  return (await on.pool.query(`SELECT * FROM ${table} ORDER BY account_id`)).rows;
}

async function listenerPids(): Promise<number[]> {
  const { rows } = await store.pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE query = $1',
    [`LISTEN "hindsight_${schema}"`],
  );
  return rows.map((r) => r.pid);
}

describePostgres('subscribe on PostgreSQL', () => {
  it('never misses appends made by another store object', async () => {
    const other = await openStore(schema);
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const b of subscribe(store, { pollIntervalMs: 20, signal: controller.signal })) {
        seen.push(...b.events.map((e) => e.position));
        if (seen.length === 50) controller.abort();
      }
    })();
    await Promise.all(
      Array.from({ length: 5 }, async (_, w) => {
        for (let i = 0; i < 10; i++) await other.appendToStream(`s-${w}`, [{ type: 'T', data: i }]);
      }),
    );
    await done;
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(50);
  });

  it('hears another store object by NOTIFY, and loses nothing while its listening connection is dropped', async () => {
    const writer = await openStore(schema);
    const controller = new AbortController();
    const seen: number[] = [];
    const arrived = new Map<number, number>();
    const sub = subscribe(store, { pollIntervalMs: 1500, signal: controller.signal });
    const following = (async () => {
      for await (const b of sub) {
        for (const e of b.events) {
          seen.push(e.position);
          arrived.set(e.position, Date.now());
        }
      }
    })();
    const appendAndTime = async (n: number): Promise<number[]> => {
      const delays: number[] = [];
      for (let i = 0; i < n; i++) {
        const sent = Date.now();
        const { position } = await deposit(`acc-${i % 3}`, 1, writer);
        while (!arrived.has(position)) await sleep(2);
        delays.push((arrived.get(position) ?? 0) - sent);
      }
      return delays;
    };
    const waitForListener = async (not?: number): Promise<number> => {
      for (let tries = 0; tries < 500; tries++) {
        const [pid] = await listenerPids();
        if (pid !== undefined && pid !== not) return pid;
        await sleep(10);
      }
      throw new Error('no listening connection');
    };

    const first = await waitForListener();
    // Well below the 1.5 s poll: the wake-up came by NOTIFY, from inside each append's transaction.
    expect(Math.max(...(await appendAndTime(10)))).toBeLessThan(500);
    // Overlapping appends are announced after they commit instead.
    const sent = Date.now();
    const together = await Promise.all(Array.from({ length: 10 }, (_, i) => deposit(`acc-${i}`, 1, writer)));
    const lastTogether = Math.max(...together.map((r) => r.position));
    while (!arrived.has(lastTogether)) await sleep(2);
    expect((arrived.get(lastTogether) ?? 0) - sent).toBeLessThan(500);

    await store.pool.query('SELECT pg_terminate_backend($1)', [first]);
    const gap = await Promise.all(Array.from({ length: 20 }, (_, i) => deposit(`gap-${i % 4}`, 1, writer)));
    const second = await waitForListener(first);
    expect(second).not.toBe(first);
    const last = Math.max(...gap.map((r) => r.position));
    while (!arrived.has(last)) await sleep(5);
    expect(Math.max(...(await appendAndTime(10)))).toBeLessThan(500);

    controller.abort();
    await following;
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // The last listener gone, the listening connection closes.
    for (let tries = 0; tries < 200 && (await listenerPids()).length > 0; tries++) await sleep(10);
    expect(await listenerPids()).toEqual([]);
  });
});

describePostgres('PostgreSQL projections', () => {
  it('apply events live, and a reader can wait for its own write', async () => {
    const r = runner(store, [postgresBalancesProjection()]);
    await r.start();
    await deposit('a', 100);
    const { position } = await store.appendToStream('a', [{ type: 'MoneyWithdrawn', data: { amount: 30 } }]);
    await r.waitFor('balances', position);
    expect(await balance('a')).toBe(70);
    const [status] = await r.status();
    expect(status).toMatchObject({ name: 'balances', version: 1, position, lagEvents: 0 });
  });

  it('drops a copy left half-built by a crash when it builds the next one', async () => {
    await deposit('a', 1);
    // What a process killed during a rebuild leaves: a copy with tables, neither serving nor throwaway.
    await postgresProjectionBackend(store).createCopy(postgresBalancesProjection());
    const r = runner(store, [postgresBalancesProjection()]);
    await r.start();
    await r.waitFor('balances', await store.headPosition());
    expect(await balance('a')).toBe(1);
    const { rows } = await store.pool.query(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name LIKE 'balances\\_\\_%'`,
      [schema],
    );
    expect(rows).toHaveLength(1);
    const copies = await store.pool.query(`SELECT count(*)::int AS n FROM "${schema}".projection_copies`);
    expect(copies.rows).toEqual([{ n: 1 }]);
  });

  it('waitFor past its timeout is NotCaughtUp', async () => {
    const r = runner(store, [postgresBalancesProjection()]);
    const { position } = await deposit('a', 1);
    await expect(r.waitFor('balances', position, { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'NotCaughtUp',
    });
  });

  it('resume from their checkpoint after a restart without applying anything twice', async () => {
    await depositMany(100, 5, 1);
    const first = runner(store, [postgresBalancesProjection()], { batchSize: 7 });
    await first.start();
    await first.waitFor('balances', 100);
    await first.stop();
    await depositMany(50, 5, 1);
    const second = runner(store, [postgresBalancesProjection()], { batchSize: 7 });
    await second.start();
    await second.waitFor('balances', 150);
    for (let i = 0; i < 5; i++) expect(await balance(`a-${i}`)).toBe(30);
  });

  it('a failing event stops only its projection, is retried, and can be skipped on record', async () => {
    const counts = memoryProjection({
      name: 'count',
      version: 1,
      initialState: () => ({ n: 0 }),
      evolve: (s) => ({ n: s.n + 1 }),
    });
    const memory = memoryProjectionBackend();
    const r = runner(
      store,
      [postgresBalancesProjection(1, { poison: (e) => e.streamId === 'bad' }), counts],
      {
        retry: { initialMs: 20, maxMs: 40 },
        backends: [memory],
      },
    );
    await deposit('a', 5);
    const poison = await deposit('bad', 1);
    await deposit('a', 7);
    await r.start();
    await r.waitFor('count', 3);
    expect(memory.stateOf(counts)).toEqual({ n: 3 });
    // Wait for the failure and a retry, however slow the machine: no fixed sleep.
    let status = (await r.status()).find((s) => s.name === 'balances');
    while ((status?.failure?.attempts ?? 0) < 2) {
      await sleep(10);
      status = (await r.status()).find((s) => s.name === 'balances');
    }
    expect(status?.state).toBe('failed');
    expect(status?.failure).toMatchObject({ position: poison.position, eventType: 'MoneyDeposited' });
    expect(status?.failure?.attempts).toBeGreaterThan(1);
    // The batch failed whole; applied one by one, the event before the poison was kept.
    expect(status?.position).toBe(poison.position - 1);
    expect(await balance('a')).toBe(5);
    await r.skip('balances', { actor: 'ops@example', reason: 'test data' });
    await r.waitFor('balances', 3);
    expect(await balance('a')).toBe(12);
    const skips = await store.pool.query(
      `SELECT name, position::int, actor, reason FROM "${schema}".projection_skips`,
    );
    expect(skips.rows).toEqual([
      { name: 'balances', position: 2, actor: 'ops@example', reason: 'test data' },
    ]);
    expect((await r.status()).find((s) => s.name === 'balances')?.state).toBe('live');
  });

  it('a new version rebuilds into a fresh copy while queries read the old one, then swaps', async () => {
    await depositMany(3000, 10, 1);
    const v1 = runner(store, [postgresBalancesProjection(1)]);
    await v1.start();
    await v1.waitFor('balances', 3000);
    await v1.stop();
    expect(await balance('a-0')).toBe(300);

    const v2 = runner(store, [postgresBalancesProjection(2)], { rebuildBatchSize: 100 });
    await v2.start();
    const readings = new Set<number | undefined>();
    let sawRebuilding = false;
    while (true) {
      readings.add(await balance('a-0'));
      const [s] = await v2.status();
      if (s?.state === 'rebuilding') sawRebuilding = true;
      if (s?.version === 2 && s.position === 3000) break;
    }
    expect(sawRebuilding).toBe(true);
    // Queries only ever saw a whole view: the old one or the new one.
    expect([...readings].every((b) => b === 300 || b === 600)).toBe(true);
    expect(await balance('a-0')).toBe(600);
    const tables = await store.pool.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'balances\\_\\_%'`,
      [schema],
    );
    expect(tables.rows).toHaveLength(1);
  });

  it('a new version may change the columns of its view', async () => {
    await deposit('a', 5);
    const v1 = runner(store, [postgresBalancesProjection(1)]);
    await v1.start();
    await v1.waitFor('balances', 1);
    await v1.stop();
    const reshaped = postgresBalancesProjection(2);
    reshaped.tables = {
      balances: 'account_id text PRIMARY KEY, events bigint NOT NULL, balance bigint NOT NULL',
    };
    const v2 = runner(store, [reshaped]);
    await v2.start();
    while ((await v2.status())[0]?.version !== 2) await sleep(10);
    expect(await allRows(`"${schema}".balances`)).toEqual([{ account_id: 'a', events: '1', balance: '10' }]);
  });

  it('an operator rebuild of the same version swaps in a fresh copy with the same answers', async () => {
    await depositMany(500, 10, 2);
    const r = runner(store, [postgresBalancesProjection()]);
    await r.start();
    await r.waitFor('balances', 500);
    const rebuilt = r.rebuild('balances');
    await deposit('a-0', 1);
    await rebuilt;
    await r.waitFor('balances', 501);
    expect(await balance('a-0')).toBe(101);
  });

  it('builds a view as of a past position into a temporary copy', async () => {
    await deposit('a', 10);
    const { position } = await deposit('a', 20);
    await deposit('a', 40);
    const r = runner(store, [postgresBalancesProjection()]);
    const past = await r.buildAsOf('balances', { position });
    const table = (past.view as Record<string, string>).balances as string;
    expect(await balance('a', table)).toBe(30);
    await past.dispose();
    const left = await store.pool.query('SELECT to_regclass($1) AS t', [table]);
    expect(left.rows[0].t).toBeNull();
  });

  it('runs each projection in one runner at a time: another takes over when the owner stops', async () => {
    const other = await openStore(schema);
    const a = runner(store, [postgresBalancesProjection()]);
    const b = runner(other, [postgresBalancesProjection()]);
    await a.start();
    await deposit('x', 1);
    await a.waitFor('balances', 1);
    await b.start();
    await deposit('x', 2);
    await a.waitFor('balances', 2);
    await sleep(100);
    expect((await b.status())[0]?.state).toBe('standby');
    // A non-owner still answers read-your-writes from the checkpoint row.
    await b.waitFor('balances', 2, { timeoutMs: 1000 });
    await a.stop();
    await deposit('x', 4);
    await b.waitFor('balances', 3, { timeoutMs: 5000 });
    expect(await balance('x')).toBe(7);
  });

  it('two runners applying one copy at once (no ownership) still apply each event once', async () => {
    const a = runner(store, [postgresBalancesProjection()], { ownership: soleOwnership, batchSize: 5 });
    await a.start();
    await deposit('x', 1);
    await a.waitFor('balances', 1);
    const other = await openStore(schema);
    const b = runner(other, [postgresBalancesProjection()], { ownership: soleOwnership, batchSize: 3 });
    await b.start();
    await b.waitFor('balances', 1);
    const appended = await Promise.all(Array.from({ length: 200 }, (_, i) => deposit(`y-${i % 7}`, 1)));
    const last = Math.max(...appended.map((r) => r.position));
    await a.waitFor('balances', last);
    await b.waitFor('balances', last);
    const rows = await allRows(`"${schema}".balances`);
    expect(rows).toHaveLength(8);
    expect(rows.reduce((sum: number, r) => sum + Number((r as { events: string }).events), 0)).toBe(201);
  });

  it('property: a view fed live with restarts equals one rebuilt from scratch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 99 })), {
            maxLength: 12,
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 1, max: 8 }),
        async (chunks, batchSize) => {
          const runSchema = uniqueSchema('replay');
          const s = await createPostgresEventStore({
            connectionString: databaseUrl,
            schema: runSchema,
            poolSize: 2,
          });
          try {
            for (const chunk of chunks) {
              const live = createPostgresProjectionRunner(s, [postgresBalancesProjection(1)], { batchSize });
              await live.start();
              while ((await live.status())[0]?.version !== 1) await sleep(5);
              // Concurrent appends: batches of the live runner see them land in any grouping.
              await Promise.all(
                chunk.map(([acc, amount]) =>
                  s.appendToStream(`a-${acc}`, [{ type: 'MoneyDeposited', data: { amount } }]),
                ),
              );
              await live.waitFor('balances', await s.headPosition());
              await live.stop();
            }
            const liveView = await allRows(`"${runSchema}".balances`, s);
            const rebuilt = createPostgresProjectionRunner(s, [postgresBalancesProjection(1)]);
            const scratch = await rebuilt.buildAsOf('balances', { position: await s.headPosition() });
            const fresh = await allRows((scratch.view as Record<string, string>).balances as string, s);
            await scratch.dispose();
            expect(liveView).toEqual(fresh);
          } finally {
            await s.close();
            await dropSchema(runSchema);
          }
        },
      ),
      { numRuns: 10 },
    );
  });
});
