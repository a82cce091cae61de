/**
 * Measures ways of keeping a PostgreSQL reader of the global log from passing an append still in flight, with
 * the statements the store runs, side by side in one process. docs/postgres.md reports the figures and the choice.
 *
 *   npx tsx bench/postgres-ordering.ts [--url postgres://...] [--rounds 7] [--sequential 300] [--each 10]
 *
 * Every technique gets its own schema and pools, opened once; the rounds interleave short slices of each, so
 * drift on a shared machine (other processes, checkpoints, autovacuum) falls on all of them alike.
 *
 * - raw: BEGIN, one INSERT with a BIGSERIAL position, COMMIT. No checks, no ordering guarantee: the ceiling.
 * - xmin-naive: per-stream advisory lock, version and id check, positions from a sequence and
 *   `pg_current_xact_id()` as column defaults; readers read below `pg_snapshot_xmin`. NOT correct with a position
 *   cursor (a transaction may take its id before another and its position after it); here to price the fix.
 * - xmin: as xmin-naive, but the transaction id and the positions are taken together under a short advisory lock
 *   (released before COMMIT), so id order is position order; readers read below `pg_snapshot_xmin`, which any
 *   running transaction in the whole cluster holds back.
 * - xmin-scoped: the store, on a plain pool (one statement per round trip, like the others). As xmin, and the appender also holds a lock keyed by its transaction id until it ends,
 *   so readers stop only below this schema's oldest running appender, not below every transaction in the cluster.
 * - counter: a one-row counter locked `FOR UPDATE` until COMMIT: commit order is position order, gapless, plain
 *   reads; appenders (and their commits) run one at a time.
 * - store: the store as it ships, on the pool it makes for itself: as xmin-scoped, with the connection pipelining
 *   BEGIN, the locks and the read in one round trip, and the insert and COMMIT in another.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPostgresEventStore } from '../src/postgres/index.js';

const { values: args } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: process.env.HINDSIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    rounds: { type: 'string', default: '7' },
    sequential: { type: 'string', default: '300' },
    each: { type: 'string', default: '10' },
    replay: { type: 'string', default: '20000' },
  },
});
const url = args.url as string;

type Technique = 'raw' | 'xmin-naive' | 'xmin' | 'xmin-scoped' | 'counter' | 'store';
const techniques: Technique[] = ['raw', 'xmin-naive', 'xmin', 'xmin-scoped', 'counter', 'store'];
const poolSizes = [16, 32] as const;

interface Log {
  /** Binds the log to a pool of `size` connections, opened (and warmed) for one slice of work. */
  connect(size: number): Promise<Connected>;
  close(): Promise<void>;
}

interface Connected {
  append(streamId: string, data: string): Promise<void>;
  /** One read of up to `limit` events from `from`, as a tailing reader does; returns how many it read. */
  poll(from: number, limit: number): Promise<number>;
  end(): Promise<void>;
}

// Connections are opened per slice and warmed before the clock starts: the server allows 100 in all, and
// other test runs share it.
async function warmPool(size: number, pipeline = false): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: size, pipeline });
  await Promise.all(Array.from({ length: size }, () => pool.query('SELECT 1')));
  return pool;
}

function streamKey(schema: string, streamId: string): string {
  return createHash('sha256').update(`${schema}\u0000${streamId}`).digest().readBigInt64BE(0).toString();
}

async function openRaw(technique: Exclude<Technique, 'xmin-scoped' | 'store'>): Promise<Log> {
  const schema = `bench_order_${technique.replace('-', '_')}_${process.pid}`;
  const s = `"${schema}"`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s};
    CREATE SEQUENCE ${s}.positions AS bigint;
    CREATE TABLE ${s}.events (
      position bigint PRIMARY KEY DEFAULT nextval('${schema}.positions'),
      id text NOT NULL UNIQUE, stream_id text NOT NULL, stream_version bigint NOT NULL,
      type text NOT NULL, schema_version int NOT NULL DEFAULT 1, data json NOT NULL, metadata json NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      UNIQUE (stream_id, stream_version));
    CREATE TABLE ${s}.head (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), position bigint NOT NULL);
    INSERT INTO ${s}.head (position) VALUES (0);
    CREATE FUNCTION ${s}.take_positions(n int, OUT transaction_id xid8, OUT last_position bigint,
      OUT taken_at timestamptz) LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_lock(1213089875, 42);
      transaction_id := pg_current_xact_id();
      last_position := setval('${schema}.positions', nextval('${schema}.positions') + n - 1);
      taken_at := clock_timestamp();
      PERFORM pg_advisory_unlock(1213089875, 42);
    END $$;`);
  await admin.end();
  const read = `SELECT coalesce(max(stream_version), 0)::text AS version,
      (SELECT count(*) FROM ${s}.events WHERE id = ANY($2::text[]))::int AS stored
    FROM ${s}.events WHERE stream_id = $1`;
  const columns = 'id, stream_id, stream_version, type, data, metadata';
  const rows = `unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[])
    WITH ORDINALITY AS e(id, stream_id, stream_version, type, data, metadata, n)`;
  const inserts: Record<typeof technique, string> = {
    raw: `INSERT INTO ${s}.events (${columns}) VALUES ($1, $2, $3, $4, $5, $6)`,
    'xmin-naive': `INSERT INTO ${s}.events (${columns})
      SELECT id, stream_id, stream_version, type, data::json, metadata::json FROM ${rows} ORDER BY n`,
    xmin: `WITH d AS MATERIALIZED (SELECT * FROM ${s}.take_positions(cardinality($1::text[]))),
      ins AS (INSERT INTO ${s}.events (position, transaction_id, recorded_at, ${columns})
        SELECT d.last_position - cardinality($1::text[]) + e.n, d.transaction_id, d.taken_at,
          e.id, e.stream_id, e.stream_version, e.type, e.data::json, e.metadata::json FROM d, ${rows})
      SELECT last_position::text FROM d`,
    counter: `WITH ins AS (INSERT INTO ${s}.events (position, ${columns})
        SELECT $7::int8 + e.n, e.id, e.stream_id, e.stream_version, e.type, e.data::json, e.metadata::json
        FROM ${rows}),
      up AS (UPDATE ${s}.head SET position = $7::int8 + cardinality($1::text[]))
      SELECT 1`,
  };
  const visible =
    technique === 'counter' || technique === 'raw'
      ? ''
      : 'AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())';
  const pollText = `SELECT position, id, stream_id, stream_version, type, data, metadata, recorded_at
    FROM ${s}.events WHERE position >= $1 ${visible} ORDER BY position LIMIT $2`;
  let rawVersion = 0;

  async function append(pool: pg.Pool, streamId: string, data: string): Promise<void> {
    const client = await pool.connect();
    try {
      const id = randomUUID();
      if (technique === 'raw') {
        await client.query('BEGIN');
        await client.query({
          text: inserts.raw,
          values: [id, streamId, ++rawVersion, 'Deposited', data, '{}'],
        });
        await client.query('COMMIT');
        return;
      }
      const begin =
        technique === 'counter'
          ? `BEGIN; SELECT position::text FROM ${s}.head FOR UPDATE`
          : `BEGIN; SELECT pg_advisory_xact_lock(${streamKey(schema, streamId)})`;
      const locked = (await client.query(begin)) as unknown as pg.QueryResult[];
      const head = Number((locked[1]?.rows[0] as { position?: string } | undefined)?.position ?? 0);
      const r = await client.query<{ version: string; stored: number }>({
        text: read,
        values: [streamId, [id]],
      });
      const version = Number(r.rows[0]?.version ?? 0) + 1;
      const values: unknown[] = [[id], [streamId], [version], ['Deposited'], [data], ['{}']];
      if (technique === 'counter') values.push(head);
      await client.query({ text: inserts[technique], values });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    async connect(size) {
      const pool = await warmPool(size);
      return {
        append: (streamId, data) => append(pool, streamId, data),
        async poll(from, limit) {
          return (await pool.query({ text: pollText, values: [from, limit] })).rows.length;
        },
        end: () => pool.end(),
      };
    },
    async close() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${s} CASCADE`);
      await c.end();
    },
  };
}

/** The store on a plain pool (each statement waits for the one before), or on a pipelining one as it makes. */
async function openStore(pipeline: boolean): Promise<Log> {
  const schema = `bench_order_store_${pipeline ? 'pipelined' : 'plain'}_${process.pid}`;
  return {
    async connect(size) {
      const pool = await warmPool(size, pipeline);
      const store = await createPostgresEventStore({ pool, schema });
      return {
        async append(streamId, data) {
          await store.appendToStream(streamId, [{ type: 'Deposited', data: JSON.parse(data) }]);
        },
        async poll(from, limit) {
          let n = 0;
          for await (const _ of store.readAll({ from, limit, batchSize: limit })) n++;
          return n;
        },
        async end() {
          await store.close();
          await pool.end();
        },
      };
    },
    async close() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA "${schema}" CASCADE`);
      await c.end();
    },
  };
}

const data = JSON.stringify({ accountId: 'account-1', amount: 1234, currency: 'EUR', reference: 'ref-1' });

async function rate(count: number, work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return count / ((performance.now() - start) / 1000);
}

const sequentialCount = Number(args.sequential);
const each = Number(args.each);
const logs = new Map<Technique, Log>();
for (const t of techniques) {
  logs.set(t, t === 'xmin-scoped' || t === 'store' ? await openStore(t === 'store') : await openRaw(t));
}
const results = new Map<string, number[]>();
const record = (label: string, value: number) => results.set(label, [...(results.get(label) ?? []), value]);
let streamCounter = 0;

for (let round = 0; round < Number(args.rounds); round++) {
  // Rotating the order spreads drift over every technique.
  const order = techniques.map((_, i) => techniques[(i + round) % techniques.length] as Technique);
  for (const t of order) {
    const log = logs.get(t) as Log;
    const prefix = `r${round}-${streamCounter++}`;
    let on = await log.connect(poolSizes[0]);
    record(
      `${t}\tsequential appends`,
      await rate(sequentialCount, async () => {
        for (let i = 0; i < sequentialCount; i++) await on.append(`${prefix}-seq-${i % 50}`, data);
      }),
    );
    await on.end();
    for (const size of poolSizes) {
      on = await log.connect(size);
      record(
        `${t}\t64 concurrent appenders, pool ${size}`,
        await rate(64 * each, async () => {
          await Promise.all(
            Array.from({ length: 64 }, async (_, w) => {
              for (let i = 0; i < each; i++) await on.append(`${prefix}-w${w}-${size}`, data);
            }),
          );
        }),
      );
      await on.end();
    }
  }
  process.stderr.write(`round ${round + 1} done\n`);
}

// Reads: an empty poll at the head (what a caught-up follower does), and a replay in 1,000-event batches.
for (const t of techniques) {
  const on = await (logs.get(t) as Log).connect(poolSizes[0]);
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; i < Number(args.replay) / 16; i++) await on.append(`replay-${w}`, data);
    }),
  );
  const polls = 500;
  record(
    `${t}\tempty polls at the head`,
    await rate(polls, async () => {
      for (let i = 0; i < polls; i++) await on.poll(Number.MAX_SAFE_INTEGER - 1, 100);
    }),
  );
  let read = 0;
  const replay = await rate(1, async () => {
    for (let from = 1, n = 1000; n === 1000; from += 1000) {
      n = await on.poll(from, 1000);
      read += n;
    }
  });
  record(`${t}\treplay (events/s)`, read * replay);
  await on.end();
}

for (const log of logs.values()) await log.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log('technique\tscenario\tmedian per second\tmedian ratio to raw in the same round\tevery round');
for (const [label, values] of [...results].sort(([a], [b]) => a.localeCompare(b))) {
  const [, scenario] = label.split('\t');
  const raw = results.get(`raw\t${scenario}`) ?? [];
  const ratio =
    raw.length === values.length ? median(values.map((v, i) => v / (raw[i] as number))).toFixed(2) : '';
  console.log(`${label}\t${Math.round(median(values))}\t${ratio}\t${values.map(Math.round).join(' ')}`);
}
