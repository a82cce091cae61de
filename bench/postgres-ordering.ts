/**
 * Measures the ways of keeping a PostgreSQL reader from passing an in-flight append, with the same statements
 * the store runs, side by side in one process. docs/postgres.md reports the figures and the choice.
 *
 *   npx tsx bench/postgres-ordering.ts [--url postgres://...] [--rounds 3] [--pools 16,64]
 *
 * Techniques (each on its own fresh schema):
 * - raw: one INSERT with a BIGSERIAL position, no checks and no ordering guarantee: the ceiling.
 * - xmin-naive: per-stream advisory lock, version check, positions from a sequence inside the INSERT and
 *   `pg_current_xact_id()` per row; readers read below `pg_snapshot_xmin`. Not correct with position checkpoints
 *   (xid order and position order can differ), measured only to price the fix below.
 * - xmin: as xmin-naive, but the transaction id and the positions are taken together under a short session
 *   advisory lock (released before COMMIT), so xid order is position order and `position` alone is a safe cursor.
 * - counter: a one-row counter locked `FOR UPDATE` until COMMIT: commit order is position order, gapless.
 */
import { createHash, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.HINDSIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    rounds: { type: 'string', default: '3' },
    pools: { type: 'string', default: '16,64' },
    sequential: { type: 'string', default: '2000' },
    each: { type: 'string', default: '50' },
  },
});

type Technique = 'raw' | 'xmin-naive' | 'xmin' | 'counter';
const techniques: Technique[] = ['raw', 'xmin-naive', 'xmin', 'counter'];

interface Log {
  append(streamId: string, data: string): Promise<void>;
  close(): Promise<void>;
}

function key(schema: string, streamId: string): string {
  return createHash('sha256').update(`${schema}\u0000${streamId}`).digest().readBigInt64BE(0).toString();
}

async function open(url: string, technique: Technique, poolSize: number): Promise<Log> {
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
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const read = `SELECT coalesce(max(stream_version), 0)::text AS version,
      (SELECT count(*) FROM ${s}.events WHERE id = ANY($2::text[]))::int AS stored
    FROM ${s}.events WHERE stream_id = $1`;
  const columns = 'id, stream_id, stream_version, type, data, metadata';
  const rows = `unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[])
    WITH ORDINALITY AS e(id, stream_id, stream_version, type, data, metadata, n)`;
  const statements: Record<Technique, string> = {
    raw: `INSERT INTO ${s}.events (${columns}) VALUES ($1, $2, $3, $4, $5, $6)`,
    'xmin-naive': `INSERT INTO ${s}.events (${columns})
      SELECT id, stream_id, stream_version, type, data::json, metadata::json FROM ${rows} ORDER BY n`,
    xmin: `WITH d AS MATERIALIZED (SELECT * FROM ${s}.take_positions(cardinality($1::text[]))),
      ins AS (INSERT INTO ${s}.events (position, transaction_id, recorded_at, ${columns})
        SELECT d.last_position - cardinality($1::text[]) + e.n, d.transaction_id, d.taken_at,
          e.id, e.stream_id, e.stream_version, e.type, e.data::json, e.metadata::json FROM d, ${rows})
      SELECT last_position::text FROM d`,
    counter: `WITH ins AS (INSERT INTO ${s}.events (position, ${columns})
        SELECT $7::int8 + e.n, e.id, e.stream_id, e.stream_version, e.type, e.data::json, e.metadata::json FROM ${rows}),
      up AS (UPDATE ${s}.head SET position = $7::int8 + cardinality($1::text[]))
      SELECT 1`,
  };
  const name = (what: string) => `${schema}_${what}`;

  let rawVersion = 0;
  async function append(streamId: string, data: string): Promise<void> {
    const client = await pool.connect();
    try {
      const id = randomUUID();
      if (technique === 'raw') {
        await client.query('BEGIN');
        await client.query({
          name: name('insert'),
          text: statements.raw,
          values: [id, streamId, ++rawVersion, 'Deposited', data, '{}'],
        });
        await client.query('COMMIT');
        return;
      }
      const begin =
        technique === 'counter'
          ? `BEGIN; SELECT position::text FROM ${s}.head FOR UPDATE`
          : `BEGIN; SELECT pg_advisory_xact_lock(${key(schema, streamId)})`;
      const locked = (await client.query(begin)) as unknown as pg.QueryResult[];
      const head = Number((locked[1]?.rows[0] as { position?: string } | undefined)?.position ?? 0);
      const r = await client.query<{ version: string; stored: number }>({
        name: name('read'),
        text: read,
        values: [streamId, [id]],
      });
      const version = Number(r.rows[0]?.version ?? 0) + 1;
      const values: unknown[] = [[id], [streamId], [version], ['Deposited'], [data], ['{}']];
      if (technique === 'counter') values.push(head);
      await client.query({ name: name('insert'), text: statements[technique], values });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    append,
    async close() {
      await pool.end();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${s} CASCADE`);
      await c.end();
    },
  };
}

const data = JSON.stringify({ accountId: 'account-1', amount: 1234, currency: 'EUR', reference: 'ref-1' });

async function sequential(log: Log, count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await log.append(`seq-${i % 100}`, data);
  return count / ((performance.now() - start) / 1000);
}

async function concurrent(log: Log, writers: number, each: number): Promise<number> {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < each; i++) await log.append(`writer-${w}`, data);
    }),
  );
  return (writers * each) / ((performance.now() - start) / 1000);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const rounds = Number(args.rounds);
const pools = String(args.pools).split(',').map(Number);
const results = new Map<string, number[]>();
const record = (label: string, value: number) => results.set(label, [...(results.get(label) ?? []), value]);

for (let round = 0; round < rounds; round++) {
  // Rotating the order spreads drift (autovacuum, checkpoints) over every technique.
  const order = techniques.map((_, i) => techniques[(i + round) % techniques.length] as Technique);
  for (const technique of order) {
    let log = await open(args.url as string, technique, 1);
    record(`${technique}\tsequential`, await sequential(log, Number(args.sequential)));
    await log.close();
    for (const poolSize of pools) {
      log = await open(args.url as string, technique, poolSize);
      record(`${technique}\t64 writers, pool ${poolSize}`, await concurrent(log, 64, Number(args.each)));
      await log.close();
    }
  }
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}

console.log('technique\tscenario\tappends/s (median of rounds)\tall rounds');
for (const [label, values] of results) {
  console.log(`${label}\t${Math.round(median(values))}\t${values.map(Math.round).join(' ')}`);
}
