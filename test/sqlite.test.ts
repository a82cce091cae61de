import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from '../src/sqlite/index.js';
import {
  describeEventStoreContract,
  type EventStoreFixture,
  type OpenedStore,
} from '../src/testing/index.js';

const childModule = fileURLToPath(new URL('./sqlite-child-store.ts', import.meta.url));

const singleWriter = {
  reason:
    'single writer: SQLite holds one write lock per file, so a held write transaction blocks every later append ' +
    'and commit order is position order by construction; there is no later commit for a reader to race',
  tests: ['order under concurrent commits'],
};

/** Makes the next append start at `position` by storing a marker event just before it (SQLite takes max + 1). */
function setNextPosition(store: SqliteEventStore): (position: number) => Promise<void> {
  return async (position) => {
    const db = store.database;
    const head = db.prepare('SELECT max(position) FROM events').pluck().safeIntegers(true).get() as
      | bigint
      | null;
    const before = BigInt(position) - 1n;
    if (head === before) return;
    if (head !== null && head > before)
      throw new Error(`the log is already at ${head}, past ${position - 1}`);
    db.prepare(
      `INSERT INTO events (position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, 1, '$PositionMarker', 1, '{}', '{}', ?)`,
    ).run(before, `$position-marker-${before}`, `$position-marker-${before}`, Date.now());
  };
}

function fileFixture(durability: 'strict' | 'normal'): EventStoreFixture {
  return {
    name: `sqlite file, durability '${durability}'`,
    skip: [singleWriter],
    async open(): Promise<OpenedStore> {
      const dir = mkdtempSync(join(tmpdir(), 'hindsight-contract-'));
      const file = join(dir, 'events.sqlite');
      const store = createSqliteEventStore({ file, durability });
      const stores: SqliteEventStore[] = [store];
      return {
        store,
        async reopen() {
          const another = createSqliteEventStore({ file, durability });
          stores.push(another);
          return another;
        },
        child: { module: childModule, config: { file, durability } },
        async sql(statement) {
          store.database.exec(statement);
        },
        setNextPosition: setNextPosition(store),
        async dispose() {
          for (const s of stores) await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

const memoryFixture: EventStoreFixture = {
  name: "sqlite ':memory:'",
  skip: [
    singleWriter,
    {
      reason: "':memory:' lives and dies with its one connection: no other connection or process can open it",
      tests: ['durability', 'lifecycle'],
    },
  ],
  async open(): Promise<OpenedStore> {
    const store = createSqliteEventStore({ file: ':memory:' });
    return {
      store,
      reopen: () => Promise.reject(new Error("':memory:' cannot be opened twice")),
      async sql(statement) {
        store.database.exec(statement);
      },
      setNextPosition: setNextPosition(store),
      dispose: () => store.close(),
    };
  },
};

describeEventStoreContract(fileFixture('strict'));
describeEventStoreContract(memoryFixture);

describe('sqlite: beyond the contract', () => {
  it('INSERT OR REPLACE cannot overwrite a stored event (its implicit delete fires the delete trigger)', async () => {
    const store = createSqliteEventStore({ file: ':memory:' });
    await store.appendToStream('s', [{ id: 'original', type: 'Tested', data: { n: 1 } }]);
    const forge = (verb: string, position: number, id: string, streamVersion: number) =>
      store.database.exec(`${verb} INTO events
        (position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
        VALUES (${position}, '${id}', 's', ${streamVersion}, 'Forged', 1, '{}', '{}', 0)`);
    expect(() => forge('INSERT OR REPLACE', 1, 'forged', 5)).toThrow(/immutable/);
    expect(() => forge('REPLACE', 9, 'original', 5)).toThrow(/immutable/);
    expect(() => forge('INSERT OR REPLACE', 9, 'forged', 1)).toThrow(/immutable/);
    const events = [];
    for await (const e of store.readAll()) events.push(e);
    const [event] = events;
    expect(event).toMatchObject({ id: 'original', position: 1, type: 'Tested', data: { n: 1 } });
    await store.close();
  });
});
