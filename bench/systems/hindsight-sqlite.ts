import { handleCommand } from '../../src/commands/handle-command.js';
import { loadState } from '../../src/commands/load-state.js';
import type { JsonValue } from '../../src/events/event.js';
import type { SnapshotPolicy } from '../../src/snapshots/policy.js';
import type { EventStore } from '../../src/store/event-store.js';
import { balancesProjection, balancesTotal } from '../scenarios/balances.js';
import { snapshotStoreOf } from '../scenarios/load-state.js';
import { type OpenedStore, openStore } from '../scenarios/measured.js';
import { runnerFor } from '../scenarios/projection-rebuild.js';
import { type BalanceState, balanceDecider } from '../workload.js';
import type { BenchSystem, OpenLog } from './types.js';

/** Hindsight's SQLite store, used through its public API exactly as a user would. */
export const hindsightSqlite: BenchSystem = {
  id: 'hindsight',
  role: 'ours',
  backend: 'sqlite',
  label: 'Hindsight',
  durabilities: ['strict', 'normal'],
  durabilityNote: (d) =>
    d === 'strict'
      ? "durability 'strict': WAL, synchronous=FULL, fsync on every commit (group commit shares one)"
      : "durability 'normal': WAL, synchronous=NORMAL, fsync at checkpoints only",
  async open(target, durability) {
    if (target.backend !== 'sqlite') throw new Error('hindsight-sqlite needs an SQLite target');
    return openedLog(await openStore(target, durability));
  },
};

/** Any `EventStore` as a benchmark log: appends with `expectedVersion: 'any'`, replays with `readAll`. */
export function storeLog(store: EventStore): OpenLog {
  return {
    async append(streamId, events) {
      await store.appendToStream(streamId, events);
    },
    async replay(visit) {
      for await (const event of store.readAll()) visit(event.position, event.data);
    },
    close: () => store.close(),
  };
}

/**
 * Hindsight's store with everything a user would reach for: `loadState` with a snapshot policy, `handleCommand`
 * (which takes the default snapshot every 100 events), and the balances projection rebuilt by its runner.
 */
export function openedLog(opened: OpenedStore): OpenLog {
  const { store } = opened;
  const snapshots: SnapshotPolicy<BalanceState> = {
    store: snapshotStoreOf(opened),
    name: 'balance',
    shapeVersion: 1,
  };
  return {
    ...storeLog(store),
    async load(streamId, options) {
      const loaded = await loadState(store, streamId, balanceDecider, options.snapshot ? { snapshots } : {});
      if (options.snapshot && loaded.snapshotVersion === 0) throw new Error(`no snapshot of ${streamId}`);
      return { version: loaded.streamVersion, balance: loaded.state.balance };
    },
    async snapshot(streamId) {
      const full = await loadState(store, streamId, balanceDecider);
      let last: { position: number; recordedAt: Date } | undefined;
      for await (const e of store.readStream(streamId, { from: full.streamVersion, limit: 1 })) last = e;
      if (!last) throw new Error(`${streamId} is empty`);
      await snapshots.store.save({
        streamId,
        name: snapshots.name,
        shapeVersion: snapshots.shapeVersion,
        streamVersion: full.streamVersion,
        position: last.position,
        recordedAt: last.recordedAt,
        state: full.state as unknown as JsonValue,
        takenAt: new Date(),
      });
    },
    async command(streamId, deposit) {
      const result = await handleCommand(
        store,
        streamId,
        balanceDecider,
        { type: 'Deposit', data: deposit.data },
        { snapshots, metadata: deposit.metadata },
      );
      return { attempts: result.attempts };
    },
    async balancesView() {
      const runner = runnerFor(opened, 1, {}, balancesProjection(opened.backend, 1, 'Deposited'));
      await runner.start();
      await runner.waitFor('balances', await store.headPosition(), { timeoutMs: 3_600_000 });
      // On PostgreSQL the runner takes the projection's lease a moment after start (the last run's owner has
      // just let go); a rebuild is refused until it holds it and runs the projection.
      const waiting = ['standby', 'starting'];
      while (waiting.includes((await runner.status()).find((s) => s.name === 'balances')?.state ?? '')) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return {
        async rebuild() {
          await runner.rebuild('balances');
          return balancesTotal(opened);
        },
        close: () => runner.stop(),
      };
    },
  };
}
