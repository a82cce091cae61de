import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  createMemorySnapshotStore,
  createStateCache,
  type EventStore,
  handleCommand,
  isHindsightError,
  loadState,
  type SnapshotPolicy,
  type SnapshotStore,
  type StateCache,
} from 'hindsight';
import { createPostgresEventStore, createPostgresSnapshotStore } from 'hindsight/postgres';
import { createSqliteEventStore, createSqliteSnapshotStore } from 'hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountError, type AccountState, account } from '../src/domains/bank/account.js';
import { collect } from '../src/testing/assertions.js';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from './support/postgres.js';

/** A store for one test (or one run of a property), with snapshots beside it; `close` removes both. */
interface OpenedStore {
  store: EventStore;
  /** Another store object on the same log: a second process, as far as command handling can tell. */
  reopen(): Promise<EventStore>;
  snapshots: SnapshotStore;
  close(): Promise<void>;
}

interface CommandSuiteOptions {
  open(): Promise<OpenedStore>;
  /** A fresh store for each run of the property test. */
  scratch(): Promise<OpenedStore>;
  propertyRuns: number;
}

describe('SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hindsight-commands-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = (file: string): OpenedStore => {
    const store = createSqliteEventStore({ file, durability: 'normal' });
    const others: EventStore[] = [];
    return {
      store,
      snapshots: createSqliteSnapshotStore(store),
      reopen: async () => {
        if (file === ':memory:') throw new Error('an in-memory database cannot be opened twice');
        const other = createSqliteEventStore({ file, durability: 'normal' });
        others.push(other);
        return other;
      },
      close: async () => {
        for (const other of others) await other.close();
        await store.close();
      },
    };
  };
  describeCommands({
    open: async () => sqlite(join(dir, 'events.sqlite')),
    scratch: async () => sqlite(':memory:'),
    propertyRuns: 40,
  });
});

describePostgres('PostgreSQL', () => {
  const postgres = async (): Promise<OpenedStore> => {
    const schema = uniqueSchema('commands');
    const store = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 4 });
    const others: EventStore[] = [];
    return {
      store,
      snapshots: createPostgresSnapshotStore(store),
      reopen: async () => {
        const other = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 4 });
        others.push(other);
        return other;
      },
      close: async () => {
        for (const other of others) await other.close();
        await store.close();
        await dropSchema(schema);
      },
    };
  };
  describeCommands({ open: postgres, scratch: postgres, propertyRuns: 12 });
});

function describeCommands(stores: CommandSuiteOptions): void {
  let store: EventStore;
  let snapshotStore: SnapshotStore;
  let opened: OpenedStore;

  beforeEach(async () => {
    opened = await stores.open();
    store = opened.store;
    snapshotStore = opened.snapshots;
  });
  afterEach(async () => {
    await opened.close();
  });

  const open = (s: EventStore, id: string, options: { cache?: StateCache<AccountState> } = {}) =>
    handleCommand(s, id, account, { type: 'OpenAccount', data: { owner: 'ada', currency: 'EUR' } }, options);
  const deposit = (amount: number) => ({ type: 'Deposit' as const, data: { amount } });
  const withdraw = (amount: number) => ({ type: 'Withdraw' as const, data: { amount } });

  describe('handleCommand', () => {
    it('loads, decides, appends and returns the new state, events, version and position', async () => {
      await open(store, 'acc-1');
      const result = await handleCommand(store, 'acc-1', account, deposit(5000), {
        metadata: { actor: 'alice', correlationId: 'req-7' },
      });
      expect(result.state.balance).toBe(5000);
      expect(result.streamVersion).toBe(2);
      expect(result.position).toBe(2);
      expect(result.replayed).toBe(false);
      expect(result.events).toHaveLength(1);
      const [stored] = await collect(store.readStream('acc-1', { from: 2 }));
      expect(stored?.id).toBe(result.events[0]?.id);
      expect(stored?.metadata).toMatchObject({ actor: 'alice', correlationId: 'req-7', command: 'Deposit' });
      expect(typeof stored?.metadata.causationId).toBe('string');
    });

    it('refuses what the decider refuses and appends nothing', async () => {
      await open(store, 'acc-1');
      await expect(handleCommand(store, 'acc-1', account, withdraw(1))).rejects.toBeInstanceOf(AccountError);
      await expect(handleCommand(store, 'acc-none', account, deposit(1))).rejects.toMatchObject({
        code: 'AccountNotFound',
      });
      expect(await store.headPosition()).toBe(1);
    });

    it('takes turns on one stream within a store object: 20 concurrent deposits, no conflict', async () => {
      await open(store, 'hot');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => handleCommand(store, 'hot', account, deposit(i + 1))),
      );
      expect(results.map((r) => r.attempts)).toEqual(Array(20).fill(1));
      const { state, streamVersion } = await loadState(store, 'hot', account);
      expect(state.balance).toBe((20 * 21) / 2);
      expect(streamVersion).toBe(21);
    });

    it('retries conflicts with another process: 20 deposits through two store objects all land once', async () => {
      const other = await opened.reopen();
      await open(store, 'hot');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          handleCommand(i % 2 ? other : store, 'hot', account, deposit(i + 1)),
        ),
      );
      expect(results.some((r) => r.attempts > 1)).toBe(true);
      const { state, streamVersion } = await loadState(store, 'hot', account);
      expect(state.balance).toBe((20 * 21) / 2);
      expect(streamVersion).toBe(21);
    });

    it('decides against fresh state after a conflict: concurrent withdrawals never overdraw', async () => {
      await open(store, 'acc');
      await handleCommand(store, 'acc', account, deposit(100));
      const other = await opened.reopen();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          handleCommand(i % 2 ? other : store, 'acc', account, withdraw(30)),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'InsufficientFunds' });
      }
      expect((await loadState(store, 'acc', account)).state.balance).toBe(10);
    });

    it('with an explicit expected version, a stale caller gets WrongExpectedVersion at once', async () => {
      await open(store, 'acc');
      await handleCommand(store, 'acc', account, deposit(10));
      const stale = handleCommand(store, 'acc', account, deposit(10), { expectedVersion: 1 });
      await expect(stale).rejects.toMatchObject({ code: 'WrongExpectedVersion', expected: 1, actual: 2 });
      expect(await store.streamVersion('acc')).toBe(2);
      const fresh = await handleCommand(store, 'acc', account, deposit(10), { expectedVersion: 2 });
      expect(fresh.streamVersion).toBe(3);
    });

    it('gives up after maxAttempts with TooManyConflicts', async () => {
      const other = await opened.reopen();
      await open(store, 'acc');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          handleCommand(i % 2 ? other : store, 'acc', account, deposit(1), { maxAttempts: 1 }),
        ),
      );
      const rejected = outcomes.filter((o) => o.status === 'rejected');
      expect(rejected.length).toBeGreaterThan(0);
      for (const o of rejected) expect(isHindsightError(o.reason, 'TooManyConflicts')).toBe(true);
      const wins = outcomes.length - rejected.length;
      expect((await loadState(store, 'acc', account)).state.balance).toBe(wins);
    });
  });

  describe('idempotency keys', () => {
    it('a retried command returns the first result and appends nothing', async () => {
      await open(store, 'acc');
      await handleCommand(store, 'acc', account, deposit(100));
      const first = await handleCommand(store, 'acc', account, withdraw(50), { idempotencyKey: 'k-1' });
      await handleCommand(store, 'acc', account, withdraw(40));
      // The client timed out and retries: the state has moved on, and deciding again would now be refused.
      const retry = await handleCommand(store, 'acc', account, withdraw(50), { idempotencyKey: 'k-1' });
      expect(retry.replayed).toBe(true);
      expect(retry.state.balance).toBe(50);
      expect(retry.streamVersion).toBe(first.streamVersion);
      expect(retry.position).toBe(first.position);
      expect(retry.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
      expect(await store.streamVersion('acc')).toBe(4);
    });

    it('the same key with another command is refused with IdempotencyKeyReused', async () => {
      await open(store, 'acc');
      await handleCommand(store, 'acc', account, deposit(100), { idempotencyKey: 'k' });
      await expect(
        handleCommand(store, 'acc', account, deposit(200), { idempotencyKey: 'k' }),
      ).rejects.toMatchObject({ code: 'IdempotencyKeyReused' });
      expect(await store.streamVersion('acc')).toBe(2);
    });

    it('concurrent duplicates of one keyed command store its events once', async () => {
      await open(store, 'acc');
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          handleCommand(store, 'acc', account, deposit(7), { idempotencyKey: 'once' }),
        ),
      );
      // Each gets the one result: found before deciding (replayed), or answered by the store's own idempotency.
      expect(new Set(results.map((r) => r.position)).size).toBe(1);
      expect(new Set(results.map((r) => r.events[0]?.id)).size).toBe(1);
      expect(await store.streamVersion('acc')).toBe(2);
      expect((await loadState(store, 'acc', account)).state.balance).toBe(7);
    });
  });

  describe('snapshots', () => {
    const policy = (snapshots: SnapshotStore, every = 10): SnapshotPolicy<AccountState> => ({
      store: snapshots,
      name: 'account',
      shapeVersion: 1,
      every,
    });

    it('are written every N events and loading from them gives the same state', async () => {
      const snapshots = snapshotStore;
      const p = policy(snapshots);
      await handleCommand(
        store,
        'acc',
        account,
        { type: 'OpenAccount', data: { owner: 'o', currency: 'EUR' } },
        {
          snapshots: p,
        },
      );
      for (let i = 1; i <= 24; i++) await handleCommand(store, 'acc', account, deposit(i), { snapshots: p });
      const snap = await snapshots.load({ streamId: 'acc', name: 'account', shapeVersion: 1 });
      expect(snap?.streamVersion).toBe(20);
      const withSnapshot = await loadState(store, 'acc', account, { snapshots: p });
      expect(withSnapshot.snapshotVersion).toBe(20);
      const without = await loadState(store, 'acc', account);
      expect(withSnapshot.state).toEqual(without.state);
      expect(without.state.balance).toBe((24 * 25) / 2);
    });

    it('of another shape version are ignored, then replaced', async () => {
      const snapshots = snapshotStore;
      const v1 = policy(snapshots, 5);
      await open(store, 'acc');
      for (let i = 0; i < 5; i++) await handleCommand(store, 'acc', account, deposit(1), { snapshots: v1 });
      const v2: SnapshotPolicy<AccountState> = { ...v1, shapeVersion: 2 };
      const loaded = await loadState(store, 'acc', account, { snapshots: v2 });
      expect(loaded.snapshotVersion).toBe(0);
      expect(loaded.state.balance).toBe(5);
      for (let i = 0; i < 5; i++) await handleCommand(store, 'acc', account, deposit(1), { snapshots: v2 });
      expect(await snapshots.load({ streamId: 'acc', name: 'account', shapeVersion: 1 })).toBeUndefined();
      expect(
        (await snapshots.load({ streamId: 'acc', name: 'account', shapeVersion: 2 }))?.streamVersion,
      ).toBe(7);
    });

    it('a failing snapshot store never fails a command', async () => {
      const errors: unknown[] = [];
      const broken: SnapshotStore = {
        load: async () => {
          throw new Error('disk on fire');
        },
        save: async () => {
          throw new Error('disk on fire');
        },
        deleteAll: async () => 0,
      };
      const p = { ...policy(broken, 1), onError: (e: unknown) => errors.push(e) };
      await handleCommand(
        store,
        'acc',
        account,
        { type: 'OpenAccount', data: { owner: 'o', currency: 'EUR' } },
        {
          snapshots: p,
        },
      );
      const r = await handleCommand(store, 'acc', account, deposit(3), { snapshots: p });
      expect(r.state.balance).toBe(3);
      expect(errors.length).toBeGreaterThan(0);
    });

    it('property: deleting every snapshot changes no answer, at any point in the past', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.integer({ min: 1, max: 500 }).map(deposit),
              fc.integer({ min: 1, max: 500 }).map(withdraw),
            ),
            {
              maxLength: 60,
            },
          ),
          fc.integer({ min: 1, max: 7 }),
          fc.nat(),
          async (commands, every, pick) => {
            const scratch = await stores.scratch();
            const mem = scratch.store;
            const snapshots = scratch.snapshots;
            const p = policy(snapshots, every);
            await handleCommand(
              mem,
              's',
              account,
              { type: 'OpenAccount', data: { owner: 'o', currency: 'EUR' } },
              {
                snapshots: p,
              },
            );
            for (const c of commands) {
              await handleCommand(mem, 's', account, c, { snapshots: p }).catch((e) => {
                if (!(e instanceof AccountError)) throw e;
              });
            }
            const version = await mem.streamVersion('s');
            const at = (pick % version) + 1;
            const asOfs = [undefined, { version: at }, { position: at }];
            const answers = [];
            for (const asOf of asOfs)
              answers.push(await loadState(mem, 's', account, { snapshots: p, asOf }));
            await snapshots.deleteAll();
            for (const [i, asOf] of asOfs.entries()) {
              const again = await loadState(mem, 's', account, { snapshots: p, asOf });
              expect(again.state).toEqual(answers[i]?.state);
              expect(again.streamVersion).toBe(answers[i]?.streamVersion);
            }
            await scratch.close();
          },
        ),
        { numRuns: stores.propertyRuns },
      );
    });

    it('the in-memory snapshot store keeps the same promises', async () => {
      const snapshots = createMemorySnapshotStore();
      const p = policy(snapshots, 3);
      await open(store, 'acc');
      for (let i = 0; i < 7; i++) await handleCommand(store, 'acc', account, deposit(2), { snapshots: p });
      expect((await loadState(store, 'acc', account, { snapshots: p })).snapshotVersion).toBe(6);
      expect(await snapshots.deleteAll()).toBeGreaterThan(0);
      expect((await loadState(store, 'acc', account, { snapshots: p })).state.balance).toBe(14);
    });
  });

  describe('state cache', () => {
    it('a command starts from the cached state and still sees what other processes appended', async () => {
      const cache = createStateCache<AccountState>();
      const other = await opened.reopen();
      await open(store, 'acc', { cache });
      await handleCommand(store, 'acc', account, deposit(100), { cache });
      expect(cache.peek('acc')).toMatchObject({ streamVersion: 2, state: { balance: 100 } });
      // Another process moves the stream on: the cached state is behind, and the next command must see it.
      await handleCommand(other, 'acc', account, withdraw(80));
      await expect(handleCommand(store, 'acc', account, withdraw(30), { cache })).rejects.toMatchObject({
        code: 'InsufficientFunds',
      });
      expect(cache.peek('acc')).toMatchObject({ streamVersion: 3, state: { balance: 20 } });
      const r = await handleCommand(store, 'acc', account, withdraw(20), { cache });
      expect(r).toMatchObject({ streamVersion: 4, state: { balance: 0 }, attempts: 1 });
      expect((await loadState(store, 'acc', account)).state).toEqual(r.state);
    });

    it('a refusal decided on a cached state is checked against the log before it is answered', async () => {
      const cache = createStateCache<AccountState>();
      const other = await opened.reopen();
      await open(store, 'acc', { cache });
      // The cache says the balance is 0; another process deposits meanwhile.
      await handleCommand(other, 'acc', account, deposit(100));
      const r = await handleCommand(store, 'acc', account, withdraw(60), { cache });
      expect(r).toMatchObject({ streamVersion: 3, state: { balance: 40 }, attempts: 1 });
      // An If-Match of the version only the log knows is met, not refused on the cached version.
      await handleCommand(other, 'acc', account, deposit(5));
      const matched = await handleCommand(store, 'acc', account, deposit(1), { cache, expectedVersion: 4 });
      expect(matched).toMatchObject({ streamVersion: 5, state: { balance: 46 } });
    });

    it('concurrent commands through two processes, both caching, all land once and agree with the log', async () => {
      const other = await opened.reopen();
      const mine = createStateCache<AccountState>();
      const theirs = createStateCache<AccountState>();
      await open(store, 'hot');
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 2
            ? handleCommand(other, 'hot', account, deposit(i + 1), { cache: theirs })
            : handleCommand(store, 'hot', account, deposit(i + 1), { cache: mine }),
        ),
      );
      expect(results.some((r) => r.attempts > 1)).toBe(true);
      const { state, streamVersion } = await loadState(store, 'hot', account);
      expect(state.balance).toBe((30 * 31) / 2);
      expect(streamVersion).toBe(31);
      const last = await handleCommand(store, 'hot', account, deposit(1), { cache: mine });
      expect(last.state.balance).toBe(state.balance + 1);
    });

    it('takes snapshots on the policy’s schedule and forgets the least recently used streams', async () => {
      const cache = createStateCache<AccountState>({ maxStreams: 2 });
      const p: SnapshotPolicy<AccountState> = {
        store: snapshotStore,
        name: 'account',
        shapeVersion: 1,
        every: 3,
      };
      for (const id of ['a', 'b', 'c']) {
        await handleCommand(
          store,
          id,
          account,
          { type: 'OpenAccount', data: { owner: 'o', currency: 'EUR' } },
          { cache, snapshots: p },
        );
      }
      expect(cache.size).toBe(2);
      expect(cache.peek('a')).toBeUndefined();
      for (let i = 0; i < 6; i++)
        await handleCommand(store, 'c', account, deposit(1), { cache, snapshots: p });
      expect((await loadState(store, 'c', account, { snapshots: p })).snapshotVersion).toBe(6);
      cache.clear();
      expect(cache.size).toBe(0);
      expect((await handleCommand(store, 'c', account, deposit(1), { cache })).state.balance).toBe(7);
    });

    it('refuses a second store or decider', async () => {
      const cache = createStateCache<AccountState>();
      await open(store, 'acc');
      await handleCommand(store, 'acc', account, deposit(1), { cache });
      const other = await opened.reopen();
      await expect(handleCommand(other, 'acc', account, deposit(1), { cache })).rejects.toThrow(
        /one store and one decider/,
      );
      const twin = { ...account };
      await expect(handleCommand(store, 'acc', twin, deposit(1), { cache })).rejects.toThrow(
        /one store and one decider/,
      );
    });
  });

  describe('time travel', () => {
    it('answers as of a stream version, a global position and an instant', async () => {
      const snapshots = snapshotStore;
      const p: SnapshotPolicy<AccountState> = {
        store: snapshots,
        name: 'account',
        shapeVersion: 1,
        every: 2,
      };
      await open(store, 'a');
      await open(store, 'b');
      await handleCommand(store, 'a', account, deposit(10), { snapshots: p }); // a v2, position 3
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await handleCommand(store, 'b', account, deposit(99));
      await handleCommand(store, 'a', account, deposit(5), { snapshots: p }); // a v3, position 5
      await handleCommand(store, 'a', account, deposit(1), { snapshots: p }); // a v4, position 6

      expect(
        (await loadState(store, 'a', account, { snapshots: p, asOf: { version: 2 } })).state.balance,
      ).toBe(10);
      expect(
        (await loadState(store, 'a', account, { snapshots: p, asOf: { version: 3 } })).state.balance,
      ).toBe(15);
      expect(
        (await loadState(store, 'a', account, { snapshots: p, asOf: { position: 4 } })).state.balance,
      ).toBe(10);
      expect(
        (await loadState(store, 'a', account, { snapshots: p, asOf: { position: 5 } })).state.balance,
      ).toBe(15);
      const then = await loadState(store, 'a', account, { snapshots: p, asOf: { time: between } });
      expect(then.state.balance).toBe(10);
      expect(then.streamVersion).toBe(2);
      expect((await loadState(store, 'a', account, { asOf: { time: new Date(0) } })).state.status).toBe(
        'none',
      );
    });

    it('readAll and readStream take the same bound', async () => {
      await open(store, 'a');
      await open(store, 'b');
      await handleCommand(store, 'a', account, deposit(1));
      const all = await collect(store.readAll({ asOf: { position: 2 } }));
      expect(all.map((e) => e.position)).toEqual([1, 2]);
      const back = await collect(store.readStream('a', { direction: 'backwards', asOf: { position: 2 } }));
      expect(back.map((e) => e.streamVersion)).toEqual([1]);
      const upTo = await collect(store.readStream('a', { asOf: { version: 1 } }));
      expect(upTo).toHaveLength(1);
      expect(() => store.readAll({ asOf: { version: 1 } })).toThrow(/asOf/);
    });
  });
}
