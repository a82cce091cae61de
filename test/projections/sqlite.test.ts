import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { memoryProjection, memoryProjectionBackend, type ProjectionRunner, subscribe } from 'hindsight';
import {
  createSqliteEventStore,
  createSqliteProjectionRunner,
  type SqliteEventStore,
  sqliteProjection,
  sqliteProjectionBackend,
} from 'hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balancesProjection } from './balances.js';

let dir: string;
let file: string;
let store: SqliteEventStore;
const runners: ProjectionRunner[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-projections-'));
  file = join(dir, 'events.sqlite');
  store = createSqliteEventStore({ file, durability: 'normal' });
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function runner(...args: Parameters<typeof createSqliteProjectionRunner>) {
  const r = createSqliteProjectionRunner(...args);
  runners.push(r);
  return r;
}

const deposit = (account: string, amount: number) =>
  store.appendToStream(account, [{ type: 'MoneyDeposited', data: { amount } }]);
const balance = (account: string) =>
  (
    store.database.prepare('SELECT balance FROM balances WHERE account_id = ?').get(account) as
      | { balance: number }
      | undefined
  )?.balance;

describe('subscribe', () => {
  it('catches up in batches, then follows live appends, with filters', async () => {
    for (let i = 1; i <= 25; i++) await deposit(`acc-${i % 3}`, i);
    await store.appendToStream('other-1', [{ type: 'Noise', data: {} }]);
    const controller = new AbortController();
    const seen: number[] = [];
    const sub = subscribe(store, { batchSize: 10, streamPrefix: 'acc-', signal: controller.signal });
    const done = (async () => {
      for await (const batch of sub) {
        seen.push(...batch.events.map((e) => e.position));
        if (seen.length === 27) controller.abort();
      }
    })();
    while (!sub.live) await new Promise((r) => setTimeout(r, 5));
    expect(sub.position).toBe(26);
    await deposit('acc-9', 1);
    await deposit('acc-9', 2);
    await done;
    expect(seen).toEqual([...Array.from({ length: 25 }, (_, i) => i + 1), 27, 28]);
  });

  it('never misses appends made by another process, which send no wake-up', async () => {
    const other = createSqliteEventStore({ file, durability: 'normal' });
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const b of subscribe(store, { pollIntervalMs: 20, signal: controller.signal })) {
        seen.push(...b.events.map((e) => e.position));
        if (seen.length === 50) controller.abort();
      }
    })();
    for (let i = 0; i < 50; i++) await other.appendToStream(`s-${i % 4}`, [{ type: 'T', data: i }]);
    await done;
    await other.close();
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

describe('SQLite projections', () => {
  it('apply events live, and a reader can wait for its own write', async () => {
    const r = runner(store, [balancesProjection()]);
    await r.start();
    await deposit('a', 100);
    const { position } = await store.appendToStream('a', [{ type: 'MoneyWithdrawn', data: { amount: 30 } }]);
    await r.waitFor('balances', position);
    expect(balance('a')).toBe(70);
    const [status] = await r.status();
    expect(status).toMatchObject({ name: 'balances', version: 1, position, lagEvents: 0 });
  });

  it('commit without an fsync of their own, and leave strict durability in place for the appends after them', async () => {
    const strict = createSqliteEventStore({ file: join(dir, 'strict.sqlite') });
    const level = () => strict.database.pragma('synchronous', { simple: true });
    const seen: unknown[] = [];
    // A view that notes the setting its own transaction runs under.
    const probe = sqliteProjection({
      name: 'probe',
      version: 1,
      tables: { probe: 'n INTEGER' },
      handler: (db) => () => {
        seen.push(db.pragma('synchronous', { simple: true }));
      },
    });
    try {
      expect(level()).toBe(2); // FULL: every append's commit is fsynced
      const r = runner(strict, [probe], { pollIntervalMs: 10 });
      await r.start();
      const { position } = await strict.appendToStream('acc-1', [
        { type: 'MoneyDeposited', data: { amount: 5 } },
      ]);
      await r.waitFor('probe', position);
      expect(seen).toEqual([1]); // NORMAL while the view commits
      expect(level()).toBe(2); // and FULL again for the appends
      const more = await strict.appendToStream('acc-1', [{ type: 'MoneyDeposited', data: { amount: 5 } }]);
      await r.waitFor('probe', more.position);
      expect(seen).toEqual([1, 1]);
      expect(level()).toBe(2);
      await r.stop();
    } finally {
      await strict.close();
    }
  });

  it('waitFor past its timeout is NotCaughtUp', async () => {
    const r = runner(store, [balancesProjection()]);
    const { position } = await deposit('a', 1);
    await expect(r.waitFor('balances', position, { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'NotCaughtUp',
    });
  });

  it('resume from their checkpoint after a restart without applying anything twice', async () => {
    for (let i = 0; i < 100; i++) await deposit(`a-${i % 5}`, 1);
    const first = runner(store, [balancesProjection()], { batchSize: 7 });
    await first.start();
    await first.waitFor('balances', 100);
    await first.stop();
    for (let i = 0; i < 50; i++) await deposit(`a-${i % 5}`, 1);
    const second = runner(store, [balancesProjection()], { batchSize: 7 });
    await second.start();
    await second.waitFor('balances', 150);
    for (let i = 0; i < 5; i++) expect(balance(`a-${i}`)).toBe(30);
    await second.stop();
    // Started at the head with nothing new to come: live at once, not 'catching up' until the next event.
    const third = runner(store, [balancesProjection()], { batchSize: 7 });
    await third.start();
    const deadline = Date.now() + 2000;
    while ((await third.status())[0]?.state !== 'live' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await third.status())[0]?.state).toBe('live');
    await third.stop();
  });

  it('a failing event stops only its projection, is retried, and can be skipped on record', async () => {
    const counts = memoryProjection({
      name: 'count',
      version: 1,
      initialState: () => ({ n: 0 }),
      evolve: (s) => ({ n: s.n + 1 }),
    });
    const errors: unknown[] = [];
    const memory = memoryProjectionBackend();
    const r = runner(store, [balancesProjection(1, { poison: (e) => e.streamId === 'bad' }), counts], {
      retry: { initialMs: 20, maxMs: 40 },
      onError: (_, e) => errors.push(e),
      backends: [memory],
    });
    await deposit('a', 5);
    const poison = await deposit('bad', 1);
    await deposit('a', 7);
    await r.start();
    await r.waitFor('count', 3);
    expect(memory.stateOf(counts)).toEqual({ n: 3 });
    // Wait for the failure and a retry, however slow the machine: no fixed sleep.
    let status = (await r.status()).find((s) => s.name === 'balances');
    while ((status?.failure?.attempts ?? 0) < 2) {
      await new Promise((res) => setTimeout(res, 10));
      status = (await r.status()).find((s) => s.name === 'balances');
    }
    expect(status?.state).toBe('failed');
    expect(status?.failure).toMatchObject({ position: poison.position, eventType: 'MoneyDeposited' });
    expect(status?.failure?.attempts).toBeGreaterThan(1);
    expect(status?.position).toBe(poison.position - 1);
    expect(balance('a')).toBe(5);
    await r.skip('balances', { actor: 'ops@example', reason: 'test data' });
    await r.waitFor('balances', 3);
    expect(balance('a')).toBe(12);
    const skips = store.database.prepare('SELECT name, position, actor, reason FROM projection_skips').all();
    expect(skips).toEqual([{ name: 'balances', position: 2, actor: 'ops@example', reason: 'test data' }]);
    expect((await r.status()).find((s) => s.name === 'balances')?.state).toBe('live');
  });

  it('a new version rebuilds into a fresh copy while queries read the old one, then swaps', async () => {
    for (let i = 0; i < 3000; i++) await deposit(`a-${i % 10}`, 1);
    const v1 = runner(store, [balancesProjection(1)]);
    await v1.start();
    await v1.waitFor('balances', 3000);
    await v1.stop();
    expect(balance('a-0')).toBe(300);

    const v2 = runner(store, [balancesProjection(2)], { rebuildBatchSize: 100 });
    await v2.start();
    const readings = new Set<number | undefined>();
    let sawRebuilding = false;
    while (true) {
      readings.add(balance('a-0'));
      const [s] = await v2.status();
      if (s?.state === 'rebuilding') sawRebuilding = true;
      if (s?.version === 2 && s.position === 3000) break;
      await new Promise((res) => setImmediate(res));
    }
    expect(sawRebuilding).toBe(true);
    // Queries only ever saw a whole view: the old one or the new one.
    expect([...readings].every((b) => b === 300 || b === 600)).toBe(true);
    expect(balance('a-0')).toBe(600);
    const tables = store.database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'balances__%'")
      .all();
    expect(tables).toHaveLength(1);
  });

  it('an operator rebuild of the same version swaps in a fresh copy with the same answers', async () => {
    for (let i = 0; i < 500; i++) await deposit(`a-${i % 10}`, 2);
    const r = runner(store, [balancesProjection()]);
    await r.start();
    await r.waitFor('balances', 500);
    const rebuilt = r.rebuild('balances');
    await deposit('a-0', 1);
    await rebuilt;
    await r.waitFor('balances', 501);
    expect(balance('a-0')).toBe(101);
    // Resolved only once the fresh copy runs again: a second rebuild right after is taken, not refused.
    await r.rebuild('balances');
    await r.rebuild('balances');
    expect(balance('a-0')).toBe(101);
  });

  it('drops a copy left half-built by a crash when it builds the next one', async () => {
    await deposit('a', 1);
    // What a process killed during a rebuild leaves: a copy with tables, neither serving nor throwaway.
    await sqliteProjectionBackend(store).createCopy(balancesProjection());
    const r = runner(store, [balancesProjection()]);
    await r.start();
    await r.waitFor('balances', 1);
    expect(balance('a')).toBe(1);
    const tables = store.database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'balances__%'")
      .all();
    expect(tables).toHaveLength(1);
    expect(store.database.prepare('SELECT count(*) AS n FROM projection_copies').get()).toEqual({ n: 1 });
  });

  it('refuses a rebuild where the projection is not running (another process may own it)', async () => {
    const r = runner(store, [balancesProjection()]);
    await expect(r.rebuild('balances')).rejects.toThrow(/not running in this process/);
  });

  it('builds a view as of a past position into a temporary copy', async () => {
    await deposit('a', 10);
    const { position } = await deposit('a', 20);
    await deposit('a', 40);
    const r = runner(store, [balancesProjection()]);
    const past = await r.buildAsOf('balances', { position });
    const table = (past.view as Record<string, string>).balances;
    const row = store.database.prepare(`SELECT balance FROM "${table}" WHERE account_id = 'a'`).get();
    expect(row).toEqual({ balance: 30 });
    await past.dispose();
    expect(
      store.database.prepare(`SELECT name FROM sqlite_master WHERE name = ?`).get(table),
    ).toBeUndefined();
  });

  it('property: a view fed live with restarts equals one rebuilt from scratch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 99 })), {
            maxLength: 20,
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.integer({ min: 1, max: 8 }),
        async (chunks, batchSize) => {
          const s = createSqliteEventStore({ file: ':memory:' });
          for (const chunk of chunks) {
            const live = createSqliteProjectionRunner(s, [balancesProjection(1)], { batchSize });
            await live.start();
            for (const [acc, amount] of chunk) {
              await s.appendToStream(`a-${acc}`, [{ type: 'MoneyDeposited', data: { amount } }]);
            }
            await live.waitFor('balances', await s.headPosition());
            await live.stop();
          }
          const liveView = s.database.prepare('SELECT * FROM balances ORDER BY account_id').all();
          const rebuilt = createSqliteProjectionRunner(s, [balancesProjection(1)]);
          const scratch = await rebuilt.buildAsOf('balances', { position: await s.headPosition() });
          const table = (scratch.view as Record<string, string>).balances;
          const fresh = s.database.prepare(`SELECT * FROM "${table}" ORDER BY account_id`).all();
          await scratch.dispose();
          await s.close();
          expect(liveView).toEqual(fresh);
        },
      ),
      { numRuns: 25 },
    );
  });
});
