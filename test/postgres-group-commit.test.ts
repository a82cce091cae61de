// Group commit on PostgreSQL: concurrent appends of one store share transactions, and each is still checked,
// all or nothing, and answered on its own.
import { afterEach, expect, it } from 'vitest';
import type { PostgresStoreHooks } from '../src/postgres/append.js';
import { createPostgresEventStore, type PostgresEventStore } from '../src/postgres/index.js';
import type { AppendResult } from '../src/store/event-store.js';
import { holdAppend } from './support/hold-append.js';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from './support/postgres.js';

type Settled = PromiseSettledResult<AppendResult>;

const deposit = (amount: number, id?: string) => ({
  type: 'Deposited',
  data: { amount },
  ...(id ? { id } : {}),
});

describePostgres('postgres group commit', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function open(
    hooks?: PostgresStoreHooks,
    schema = uniqueSchema('group'),
  ): Promise<PostgresEventStore> {
    const store = await createPostgresEventStore({
      connectionString: databaseUrl,
      schema,
      poolSize: 8,
      hooks,
    });
    cleanup.push(() => dropSchema(schema));
    cleanup.push(() => store.close());
    return store;
  }

  async function transactions(store: PostgresEventStore): Promise<{ events: number; transactions: number }> {
    const { rows } = await store.pool.query<{ events: string; transactions: string }>(
      `SELECT count(*) AS events, count(DISTINCT transaction_id) AS transactions FROM "${store.schema}".events`,
    );
    return { events: Number(rows[0]?.events), transactions: Number(rows[0]?.transactions) };
  }

  it('writes 640 concurrent single-event appends in far fewer transactions, every one acknowledged and stored once', async () => {
    const store = await open();
    const writers = 64;
    const each = 10;
    const results: AppendResult[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < each; i++) results.push(await store.appendToStream(`w-${w}`, [deposit(i + 1)]));
      }),
    );
    const counted = await transactions(store);
    expect(counted.events).toBe(writers * each);
    // One transaction per append would be 640; shared commits are the point.
    expect(counted.transactions).toBeLessThan((writers * each) / 4);
    expect(new Set(results.map((r) => r.position)).size).toBe(writers * each);
    for (const r of results) {
      const [event] = await collectStream(store, r.streamId, r.streamVersion);
      expect(event?.position).toBe(r.position);
    }
    const positions: number[] = [];
    for await (const e of store.readAll()) positions.push(e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions).toHaveLength(writers * each);
  });

  it('decides each append of a batch on its own: stale ones fail alone, retries get their first result, chains on one stream hold', async () => {
    const store = await open();
    await store.appendToStream('stale', [deposit(1)]);
    const first = await store.appendToStream('retried', [deposit(2, 'retried-1')]);
    // Submitted in one turn of the event loop, so they are written together.
    const settled: Settled[] = await Promise.allSettled([
      store.appendToStream('chain', [deposit(1)], { expectedVersion: 'no_stream' }),
      store.appendToStream('chain', [deposit(2)], { expectedVersion: 1 }),
      store.appendToStream('stale', [deposit(3)], { expectedVersion: 0 }),
      store.appendToStream('retried', [deposit(2, 'retried-1')]),
      store.appendToStream('chain', [deposit(3), deposit(4)], { expectedVersion: 2 }),
      store.appendToStream('fresh', [deposit(5)], { expectedVersion: 'stream_exists' }),
      store.appendToStream('taken', [deposit(6, 'retried-1')]),
      store.appendToStream('chain', [deposit(5)], { expectedVersion: 'stream_exists' }),
    ]);
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<AppendResult>).value;
    const reason = (i: number) => (settled[i] as PromiseRejectedResult).reason as { code?: string };
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect([
      value(0).streamVersion,
      value(1).streamVersion,
      value(4).streamVersion,
      value(7).streamVersion,
    ]).toEqual([1, 2, 4, 5]);
    expect(reason(2).code).toBe('WrongExpectedVersion');
    expect(value(3)).toEqual(first);
    expect(reason(5).code).toBe('WrongExpectedVersion');
    expect(reason(6).code).toBe('DuplicateEventId');
    // Positions follow the order of submission within the chain, and nothing refused was stored.
    const chain = await collectStream(store, 'chain');
    expect(chain.map((e) => (e.data as { amount: number }).amount)).toEqual([1, 2, 3, 4, 5]);
    expect(chain.map((e) => e.position)).toEqual([...chain.map((e) => e.position)].sort((a, b) => a - b));
    expect(await store.streamVersion('stale')).toBe(1);
    expect(await store.streamVersion('fresh')).toBe(0);
    expect(await store.streamVersion('taken')).toBe(0);
    expect(await store.streamVersion('retried')).toBe(1);
  });

  it('a multi-stream append in a batch is all or nothing on its own', async () => {
    const store = await open();
    await store.appendToStream('b', [deposit(1)]);
    const settled = await Promise.allSettled([
      store.appendToStreams([
        { streamId: 'a', events: [deposit(1)] },
        { streamId: 'b', events: [deposit(2)], expectedVersion: 'no_stream' },
      ]),
      store.appendToStreams([
        { streamId: 'a', events: [deposit(3)] },
        { streamId: 'c', events: [deposit(4)] },
      ]),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
    expect(await store.streamVersion('a')).toBe(1);
    expect(await store.streamVersion('b')).toBe(1);
    expect(await store.streamVersion('c')).toBe(1);
  });

  it('when a batch fails as a whole, each append is tried again on its own and answered for itself', async () => {
    let failures = 0;
    const store = await open({
      async beforeCommit(streamIds) {
        // The first transaction that carries several appends fails after writing, as a lost connection would.
        if (streamIds.length > 1 && failures === 0) {
          failures++;
          throw new Error('the batch fails once');
        }
      },
    });
    await store.appendToStream('stale', [deposit(1)]);
    const settled = await Promise.allSettled([
      store.appendToStream('x', [deposit(1)]),
      store.appendToStream('y', [deposit(2)]),
      store.appendToStream('stale', [deposit(3)], { expectedVersion: 0 }),
      store.appendToStream('x', [deposit(4)], { expectedVersion: 1 }),
    ]);
    expect(failures).toBe(1);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[2] as PromiseRejectedResult).reason as { code?: string }).code).toBe(
      'WrongExpectedVersion',
    );
    const counted = await transactions(store);
    expect(counted.events).toBe(4);
    expect((await collectStream(store, 'x')).map((e) => e.data)).toEqual([{ amount: 1 }, { amount: 4 }]);
  });

  it('an id that another process commits while a batch waits on it fails only the append that carries it', async () => {
    const schema = uniqueSchema('group');
    const store = await open(undefined, schema);
    const theirs = await holdAppend(schema, 'theirs', [deposit(2, 'shared-id')]);
    cleanup.push(() => theirs.abandon());
    // Their row is written but not committed: the batch's insert of the same id waits for their transaction.
    const ours = Promise.allSettled([
      store.appendToStream('mine', [deposit(1, 'shared-id')]),
      ...Array.from({ length: 8 }, (_, i) => store.appendToStream(`own-${i}`, [deposit(i + 1)])),
    ]);
    await waitForLockWait(store);
    await theirs.commit();
    const settled = await ours;
    expect(settled.map((s) => s.status)).toEqual(['rejected', ...Array(8).fill('fulfilled')]);
    expect(((settled[0] as PromiseRejectedResult).reason as { code?: string }).code).toBe('DuplicateEventId');
    const counted = await transactions(store);
    expect(counted.events).toBe(9);
    expect(await store.streamVersion('mine')).toBe(0);
  });
});

/** Resolves once some backend waits for another transaction (the batch's insert behind an uncommitted id). */
async function waitForLockWait(store: PostgresEventStore): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await store.pool.query(
      `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE NOT l.granted AND l.locktype = 'transactionid' AND position($1 in a.query) > 0`,
      [`"${store.schema}".append_batch(`],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no append waited for the uncommitted id');
}

async function collectStream(store: PostgresEventStore, streamId: string, from?: number) {
  const events = [];
  for await (const e of store.readStream(streamId, from === undefined ? {} : { from, limit: 1 }))
    events.push(e);
  return events;
}
