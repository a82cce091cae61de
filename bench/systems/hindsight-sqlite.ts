import { createSqliteEventStore } from '../../src/sqlite/index.js';
import type { EventStore } from '../../src/store/event-store.js';
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
    return storeLog(createSqliteEventStore({ file: target.file, durability }));
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
