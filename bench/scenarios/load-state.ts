import { loadState } from '../../src/commands/load-state.js';
import { type AccountState, account } from '../../src/domains/bank/account.js';
import type { JsonValue, NewEvent } from '../../src/events/event.js';
import { createPostgresSnapshotStore } from '../../src/postgres/index.js';
import type { SnapshotPolicy } from '../../src/snapshots/policy.js';
import type { SnapshotStore } from '../../src/snapshots/snapshot-store.js';
import { createSqliteSnapshotStore } from '../../src/sqlite/index.js';
import {
  type Figure,
  latencyFigures,
  type MeasuredScenario,
  type OpenedStore,
  openStore,
} from './measured.js';
import { count } from './types.js';

export function snapshotStoreOf(opened: OpenedStore): SnapshotStore {
  return opened.backend === 'sqlite'
    ? createSqliteSnapshotStore(opened.store)
    : createPostgresSnapshotStore(opened.store);
}

/**
 * `loadState` of one bank account with a long history, through the bank account decider: a full fold of every
 * event, then the same load starting from a snapshot at the stream's last version (so no event follows it).
 */
export const loadStateScenario: MeasuredScenario = {
  name: 'load-state',
  title: 'Loading a stream of 10,000 events (loadState)',
  description:
    'One account stream (opened, then deposits) loaded with the bank account decider, without a snapshot and from one at its last version; each load timed alone after a warm-up.',
  durability: 'strict',
  size: (at) => ({ events: 10_000, warmup: at.quick ? 5 : 10, loads: at.quick ? 20 : 50 }),
  bounds: () => [
    { figure: 'without snapshot p50', atMost: 30 },
    { figure: 'with snapshot p50', atMost: 1 },
  ],
  async measure(context, size) {
    const events = count(size, 'events');
    const opened = await openStore(context.target('load_state'), context.durability);
    const { store } = opened;
    try {
      const stream = 'account-long';
      const history: NewEvent<string, unknown>[] = [
        { type: 'AccountOpened', data: { owner: 'bench', currency: 'EUR' } },
      ];
      for (let i = 1; i < events; i++)
        history.push({ type: 'MoneyDeposited', data: { amount: 100 + (i % 97) } });
      for (let i = 0; i < events; i += 1000) await store.appendToStream(stream, history.slice(i, i + 1000));

      const policy: SnapshotPolicy<AccountState> = {
        store: snapshotStoreOf(opened),
        name: 'account',
        shapeVersion: 1,
      };
      const full = await loadState(store, stream, account);
      let last: { position: number; recordedAt: Date } | undefined;
      for await (const e of store.readStream(stream, { from: full.streamVersion, limit: 1 })) last = e;
      if (!last || full.streamVersion !== events)
        throw new Error('load-state: the stream was not written whole');
      await policy.store.save({
        streamId: stream,
        name: policy.name,
        shapeVersion: policy.shapeVersion,
        streamVersion: full.streamVersion,
        position: last.position,
        recordedAt: last.recordedAt,
        state: full.state as unknown as JsonValue,
        takenAt: new Date(),
      });

      const time = async (withSnapshot: boolean): Promise<number[]> => {
        const options = withSnapshot ? { snapshots: policy } : {};
        const durations: number[] = [];
        for (let i = 0; i < count(size, 'warmup') + count(size, 'loads'); i++) {
          const start = performance.now();
          const loaded = await loadState(store, stream, account, options);
          const took = performance.now() - start;
          if (loaded.streamVersion !== events || loaded.state.balance !== full.state.balance) {
            throw new Error(
              `load-state: a load ${withSnapshot ? 'with' : 'without'} snapshot gave another state`,
            );
          }
          if (withSnapshot && loaded.snapshotVersion !== events)
            throw new Error('load-state: snapshot not used');
          if (i >= count(size, 'warmup')) durations.push(took);
        }
        return durations;
      };
      const without = await time(false);
      const withSnapshot = await time(true);
      const figures: Figure[] = [
        ...latencyFigures('without snapshot', without),
        ...latencyFigures('with snapshot', withSnapshot),
      ];
      const p50 = (name: string) => figures.find((f) => f.name === `${name} p50`)?.value ?? Number.NaN;
      figures.push({
        name: 'speed-up (p50 without / p50 with)',
        value: Math.round((p50('without snapshot') / p50('with snapshot')) * 10) / 10,
        unit: 'x',
      });
      return {
        figures,
        notes: [
          `${count(size, 'loads')} loads of each kind after ${count(size, 'warmup')} untimed ones; the snapshot covers the last version, so the snapshot load reads the snapshot row and finds no event after it.`,
        ],
      };
    } finally {
      await store.close();
    }
  },
};
