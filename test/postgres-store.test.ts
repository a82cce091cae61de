// What the PostgreSQL store promises beyond the contract: its schema, migrations, locks, the read frontier,
// and the pool it was given or made.
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { RecordedEvent } from '../src/events/event.js';
import { createPostgresEventStore, type PostgresEventStore } from '../src/postgres/index.js';
import { migrations } from '../src/postgres/schema.js';
import { type AbandonableHeldAppend, holdAppend } from './support/hold-append.js';
import { databaseUrl, describePostgres, dropSchema, runSql, uniqueSchema } from './support/postgres.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const ids = (events: readonly RecordedEvent[]) => events.map((e) => e.id);

async function failure(action: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await action();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describePostgres('postgres store', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function fresh(prefix = 'store'): string {
    const schema = uniqueSchema(prefix);
    cleanup.push(() => dropSchema(schema));
    return schema;
  }

  async function open(schema: string, poolSize = 4): Promise<PostgresEventStore> {
    const store = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize });
    cleanup.push(() => store.close());
    return store;
  }

  async function hold(schema: string, streamId: string): Promise<AbandonableHeldAppend> {
    const held = await holdAppend(schema, streamId, [{ type: 'Held', data: {} }]);
    cleanup.push(() => held.abandon());
    return held;
  }

  it('creates its schema and applies each migration once, even when many stores start at once', async () => {
    const schema = fresh();
    const stores = await Promise.all(
      Array.from({ length: 6 }, () =>
        createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 1 }),
      ),
    );
    cleanup.push(async () => {
      for (const s of stores) await s.close();
    });
    await Promise.all(stores.map((s, i) => s.appendToStream(`s-${i}`, [{ type: 'Started', data: { i } }])));
    const later = await open(schema);
    const { rows } = await later.pool.query(
      `SELECT version, name FROM "${schema}".hindsight_migrations ORDER BY version`,
    );
    expect(rows).toEqual(migrations.map(({ version, name }) => ({ version, name })));
    expect(await later.headPosition()).toBe(6);
    const tables = await later.pool.query(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1',
      [schema],
    );
    expect(tables.rows.map((r) => r.tablename)).toEqual([
      'events',
      'hindsight_migrations',
      'projection_copies',
      'projection_skips',
      'projections',
      'snapshots',
    ]);
  });

  it('keeps each log in its own schema: the same stream in two schemas is two streams', async () => {
    const [a, b] = [await open(fresh()), await open(fresh())];
    await a.appendToStream('s', [{ id: 'in-a', type: 'T', data: 1 }]);
    await b.appendToStream('s', [{ id: 'in-b', type: 'T', data: 2 }]);
    await b.appendToStream('s', [{ id: 'in-b-2', type: 'T', data: 3 }], { expectedVersion: 1 });
    expect(ids(await collect(a.readAll()))).toEqual(['in-a']);
    expect(ids(await collect(b.readStream('s')))).toEqual(['in-b', 'in-b-2']);
    expect(await a.streamVersion('s')).toBe(1);
    expect(a.schema).not.toBe(b.schema);
  });

  it('refuses a schema name that is not a plain identifier, before connecting', async () => {
    for (const schema of [
      '',
      'a-b',
      '1abc',
      'x"; DROP SCHEMA public; --',
      'pg_mine',
      'a'.repeat(64),
      'ünïcode',
    ]) {
      const error = await failure(() => createPostgresEventStore({ connectionString: databaseUrl, schema }));
      expect(error.code, schema).toBe('InvalidArgument');
    }
  });

  it('readers wait for a held append of their own schema only: other schemas and other writers do not stall them', async () => {
    const schema = fresh();
    const store = await open(schema);
    await store.appendToStream('before', [{ id: 'before', type: 'T', data: {} }]);

    // A writing transaction that is no append of this schema, and a held append in another schema.
    const other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
    cleanup.push(() => other.end());
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()');
    const otherSchema = fresh('other');
    await open(otherSchema);
    await hold(otherSchema, 'elsewhere');

    const after = await store.appendToStream('after', [{ id: 'after', type: 'T', data: {} }]);
    expect(ids(await collect(store.readAll()))).toEqual(['before', 'after']);
    expect(await store.headPosition()).toBe(after.position);

    // A held append of this schema does stall them, at the last position below it.
    const held = await hold(schema, 'held');
    const later = await store.appendToStream('later', [{ id: 'later', type: 'T', data: {} }]);
    expect(ids(await collect(store.readAll()))).toEqual(['before', 'after']);
    expect(await store.headPosition()).toBe(after.position);
    const heldResult = await held.commit();
    expect(heldResult.position).toBeLessThan(later.position);
    const tail = await collect(store.readAll({ from: after.position + 1 }));
    expect(tail.map((e) => e.streamId)).toEqual(['held', 'later']);
    await other.query('ROLLBACK');
  });

  it('a tailing reader under 24 concurrent appenders sees every event once, in position order', async () => {
    const schema = fresh();
    const store = await open(schema, 12);
    const reader = await open(schema, 2);
    let writing = true;
    const writers = Array.from({ length: 24 }, async (_, w) => {
      for (let i = 0; i < 12; i++) {
        const size = 1 + ((w + i) % 3);
        const events = Array.from({ length: size }, (_, k) => ({
          id: `${w}.${i}.${k}`,
          type: 'T',
          data: { w, i },
        }));
        if (i % 4 === 3) {
          await store.appendToStreams([
            { streamId: `w-${w}`, events: events.slice(0, 1) },
            { streamId: `shared-${i % 3}`, events: [{ id: `${w}.${i}.x`, type: 'T', data: {} }] },
          ]);
        } else {
          await store.appendToStream(i % 2 ? `w-${w}` : `shared-${i % 3}`, events);
        }
      }
    });
    const done = Promise.all(writers).finally(() => {
      writing = false;
    });
    const seen: RecordedEvent[] = [];
    let checkpoint = 0;
    while (writing || (await reader.headPosition()) > checkpoint) {
      for await (const e of reader.readAll({ from: checkpoint + 1, batchSize: 7 })) {
        expect(e.position).toBeGreaterThan(checkpoint);
        checkpoint = e.position;
        seen.push(e);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await done;
    seen.push(...(await collect(reader.readAll({ from: checkpoint + 1 }))));
    expect(ids(seen)).toEqual(ids(await collect(store.readAll())));
    expect(new Set(ids(seen)).size).toBe(seen.length);
  });

  it('a position past 2^53 - 1 is PositionOverflow: the transaction rolls back and nothing is stored', async () => {
    const schema = fresh();
    const store = await open(schema);
    await store.appendToStream('s', [{ type: 'T', data: 0 }]);
    await runSql(`ALTER SEQUENCE "${schema}".event_positions RESTART WITH 9007199254740990`);
    const three = [1, 2, 3].map((n) => ({ type: 'T', data: n }));
    const error = await failure(() => store.appendToStream('s', three));
    expect(error.code).toBe('PositionOverflow');
    expect(await store.streamVersion('s')).toBe(1);
    expect((await collect(store.readAll())).map((e) => e.position)).toEqual([1]);
    expect(await store.headPosition()).toBe(1);
  });

  it('the database itself refuses UPDATE, DELETE and TRUNCATE of the events table', async () => {
    const schema = fresh();
    const store = await open(schema);
    await store.appendToStream('s', [{ id: 'e', type: 'T', data: 1 }]);
    for (const statement of [
      `UPDATE "${schema}".events SET type = 'Forged'`,
      `DELETE FROM "${schema}".events`,
      `TRUNCATE "${schema}".events`,
    ]) {
      await expect(runSql(statement), statement).rejects.toThrow(/immutable/);
    }
    expect(ids(await collect(store.readAll()))).toEqual(['e']);
  });

  it('of appenders in two stores (two pools, as two processes) expecting one version, exactly one wins', async () => {
    const schema = fresh();
    const [a, b] = [await open(schema), await open(schema)];
    await a.appendToStream('s', [{ type: 'T', data: 0 }]);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? a : b).appendToStream('s', [{ type: 'T', data: i }], { expectedVersion: 1 }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toMatchObject({
          code: 'WrongExpectedVersion',
          streamId: 's',
          expected: 1,
          actual: 2,
        });
      }
    }
    expect(await b.streamVersion('s')).toBe(2);
  });

  it("'any' appenders in two stores are all stored, one after another in the stream", async () => {
    const schema = fresh();
    const [a, b] = [await open(schema, 8), await open(schema, 8)];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? a : b).appendToStream('s', [{ id: `e${i}`, type: 'T', data: i }]),
      ),
    );
    const stream = await collect(a.readStream('s'));
    expect(stream.map((e) => e.streamVersion)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const positions = stream.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(ids(stream)).size).toBe(30);
  });

  it('a retry through another store returns the first result and stores nothing', async () => {
    const schema = fresh();
    const [a, b] = [await open(schema), await open(schema)];
    const events = [
      { id: 'x', type: 'T', data: { a: 1, b: [1, 2] } },
      { id: 'y', type: 'T', data: 'two' },
    ];
    const first = await a.appendToStream('s', events, { expectedVersion: 'no_stream' });
    await a.appendToStream('s', [{ type: 'T', data: 'after' }]);
    expect(await b.appendToStream('s', events, { expectedVersion: 'no_stream' })).toEqual(first);
    expect(await b.streamVersion('s')).toBe(3);
  });

  it('stores data that JSON carries and jsonb would refuse (NUL, lone surrogates, key order) exactly', async () => {
    const store = await open(fresh());
    const data = {
      z: 'nul \u0000 here',
      a: 'lone \ud800 surrogate',
      n: 1e21,
      tiny: 5e-324,
      nested: { b: 1, a: 2 },
    };
    await store.appendToStream('s', [{ id: 'odd', type: 'T', data, metadata: { actor: '\u0000' } }]);
    const [read] = await collect(store.readAll());
    expect(read?.data).toEqual(data);
    expect(JSON.stringify(read?.data)).toBe(JSON.stringify(data));
    expect(read?.metadata).toEqual({ actor: '\u0000' });
  });

  it('reads exact numbers and JSON whatever type parsers the given pool was configured with', async () => {
    const schema = fresh();
    const garbled: pg.CustomTypesConfig = { getTypeParser: () => () => 'garbled' };
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, types: garbled });
    cleanup.push(() => pool.end());
    const store = await createPostgresEventStore({ pool, schema });
    cleanup.push(() => store.close());
    await store.appendToStream('s', [{ type: 'T', data: { n: 1 } }]);
    const [read] = await collect(store.readStream('s'));
    expect(read).toMatchObject({ position: 1, streamVersion: 1, data: { n: 1 }, schemaVersion: 1 });
    expect(read?.recordedAt).toBeInstanceOf(Date);
    expect(await store.headPosition()).toBe(1);
  });

  it('close ends a pool the store made, never a pool it was given', async () => {
    const schema = fresh();
    const own = await createPostgresEventStore({ connectionString: databaseUrl, schema });
    await own.appendToStream('s', [{ type: 'T', data: 1 }]);
    await own.close();
    expect(own.pool.ending).toBe(true);

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    cleanup.push(() => pool.end());
    const given = await createPostgresEventStore({ pool, schema });
    await given.appendToStream('s', [{ type: 'T', data: 2 }]);
    await given.close();
    expect(pool.ending).toBe(false);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".events`)).rows[0]).toEqual({ n: 2 });
    expect((await failure(() => given.headPosition())).code).toBe('StoreClosed');
  });

  it('an append whose transaction fails before COMMIT stores nothing and leaves the pool usable', async () => {
    const schema = fresh();
    const store = await open(schema);
    const failing = await createPostgresEventStore({
      connectionString: databaseUrl,
      schema,
      poolSize: 1,
      hooks: {
        async beforeCommit() {
          throw new Error('refused by the hook');
        },
      },
    });
    cleanup.push(() => failing.close());
    await expect(failing.appendToStream('s', [{ type: 'T', data: 1 }])).rejects.toThrow(
      'refused by the hook',
    );
    await expect(failing.appendToStream('s', [{ type: 'T', data: 1 }])).rejects.toThrow(
      'refused by the hook',
    );
    expect(await store.streamVersion('s')).toBe(0);
    const next = await store.appendToStream('s', [{ type: 'T', data: 2 }]);
    expect(next.streamVersion).toBe(1);
    expect(await store.headPosition()).toBe(next.position);
  });

  it('a server it cannot reach rejects createPostgresEventStore', async () => {
    const unreachable = 'postgres://postgres@127.0.0.1:1/test';
    await expect(
      createPostgresEventStore({ connectionString: unreachable, schema: 'nowhere' }),
    ).rejects.toThrow();
  });
});
