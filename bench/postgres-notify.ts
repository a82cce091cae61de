/**
 * Prices the NOTIFY that wakes followers in other processes, on the append path. docs/postgres.md reports the
 * figures and the choice.
 *
 *   npx tsx bench/postgres-notify.ts [--url postgres://...] [--rounds 9] [--writers 64] [--each 10] [--sequential 150]
 *
 * - none: the store's appender with the notify trigger disabled: no NOTIFY at all, the ceiling.
 * - in-transaction: the trigger notifies inside every append's transaction.
 * - store: the store as it ships: inside the transaction when the append is its store's only one in flight,
 *   otherwise skipped there and sent after COMMIT, coalesced, on a connection of its own.
 *
 * Each system has its own schema and a listener on its channel (a NOTIFY nobody listens to costs less); rounds
 * interleave slices of each in rotating order, and the report gives the median of the per-round ratio to none.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresAppender } from '../src/postgres/append.js';
import { createPostgresEventStore, type PostgresEventStore } from '../src/postgres/index.js';
import { prepareAppend } from '../src/store/prepare-append.js';

const { values: args } = parseArgs({
  options: {
    url: {
      type: 'string',
      default: process.env.HINDSIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    rounds: { type: 'string', default: '9' },
    writers: { type: 'string', default: '64' },
    each: { type: 'string', default: '10' },
    sequential: { type: 'string', default: '150' },
  },
});
const url = args.url;
const suffix = `${process.pid}`;
const open = (name: string) =>
  createPostgresEventStore({ connectionString: url, schema: `bench_notify_${name}_${suffix}`, poolSize: 16 });

const shipped = await open('store');
const inTransaction = await open('intx');
// The trigger without the skip: every append notifies from inside its transaction.
await inTransaction.pool.query(`CREATE OR REPLACE FUNCTION "${inTransaction.schema}".announce_append()
  RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN PERFORM pg_notify('hindsight_${inTransaction.schema}', ''); RETURN NULL; END $$`);
const none = await open('none');
await none.pool.query(`ALTER TABLE "${none.schema}".events DISABLE TRIGGER events_announce_append`);
const bare = new PostgresAppender(none.pool, none.schema, `"${none.schema}"`);

const listener = new pg.Client({ connectionString: url });
await listener.connect();
const heard = new Map<string, number>();
listener.on('notification', (n) => heard.set(n.channel, (heard.get(n.channel) ?? 0) + 1));
for (const s of [shipped, inTransaction]) await listener.query(`LISTEN "hindsight_${s.schema}"`);

type Append = (streamId: string, i: number) => Promise<unknown>;
const through =
  (s: PostgresEventStore): Append =>
  (streamId, i) =>
    s.appendToStream(streamId, [{ type: 'Deposited', data: { i } }]);
const systems: [string, Append][] = [
  [
    'none',
    (streamId, i) =>
      bare.append([
        prepareAppend({ streamId, events: [{ type: 'Deposited', data: { i } }] }, { maxEventBytes: 1 << 20 }),
      ]),
  ],
  ['in-transaction', through(inTransaction)],
  ['store', through(shipped)],
];

async function perSecond(append: Append, writers: number, each: number): Promise<number> {
  const began = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < each; i++) await append(`w-${w}-${i}-${Math.random()}`, i);
    }),
  );
  return (writers * each) / ((performance.now() - began) / 1000);
}

const slices = [
  { name: `${args.writers} writers x ${args.each}`, writers: Number(args.writers), each: Number(args.each) },
  { name: `1 writer x ${args.sequential}`, writers: 1, each: Number(args.sequential) },
];
const results = new Map<string, number[]>();
for (let round = 0; round < Number(args.rounds); round++) {
  const order = [...systems.slice(round % 3), ...systems.slice(0, round % 3)];
  for (const slice of slices) {
    for (const [name, append] of order) {
      const key = `${slice.name}|${name}`;
      results.set(key, [...(results.get(key) ?? []), await perSecond(append, slice.writers, slice.each)]);
    }
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
for (const slice of slices) {
  const base = results.get(`${slice.name}|none`) ?? [];
  for (const [name] of systems) {
    const rates = results.get(`${slice.name}|${name}`) ?? [];
    const ratio = median(rates.map((r, i) => r / (base[i] ?? r)));
    console.log(
      `${slice.name.padEnd(18)} ${name.padEnd(15)} ${String(Math.round(median(rates))).padStart(6)} appends/s  x${ratio.toFixed(2)} of none`,
    );
  }
}
console.log(
  `notifications heard: store ${heard.get(`hindsight_${shipped.schema}`) ?? 0}, in-transaction ${heard.get(`hindsight_${inTransaction.schema}`) ?? 0}`,
);

await listener.end();
for (const s of [shipped, inTransaction, none]) {
  await s.pool.query(`DROP SCHEMA "${s.schema}" CASCADE`);
  await s.close();
}
