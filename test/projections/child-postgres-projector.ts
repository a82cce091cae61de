// Run by the PostgreSQL kill -9 and failover tests: projects balances on a schema until killed; with `write`,
// also appends deposits. Its connections carry `name` as application_name, so the test can see which one holds
// the projection's lock.
import { createPostgresEventStore } from '../../src/postgres/index.js';
import { createPostgresProjectionRunner, postgresProjection } from '../../src/postgres/projections.js';

const [schema = '', mode = 'project', name = 'child'] = process.argv.slice(2);
const url = new URL(process.env.HINDSIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
url.searchParams.set('application_name', name);
const store = await createPostgresEventStore({ connectionString: url.toString(), schema, poolSize: 4 });
const balances = postgresProjection({
  name: 'balances',
  version: 1,
  handles: ['MoneyDeposited'],
  tables: { balances: 'account_id text PRIMARY KEY, balance bigint NOT NULL, events bigint NOT NULL' },
  handler: (t) => ({
    async apply(client, events) {
      const rows = new Map<string, [number, number]>();
      for (const e of events) {
        const [balance, count] = rows.get(e.streamId) ?? [0, 0];
        rows.set(e.streamId, [balance + (e.data as { amount: number }).amount, count + 1]);
      }
      await client.query(
        `INSERT INTO ${t.balances} SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
         ON CONFLICT (account_id) DO UPDATE SET balance = ${t.balances}.balance + excluded.balance,
           events = ${t.balances}.events + excluded.events`,
        [[...rows.keys()], [...rows.values()].map((r) => r[0]), [...rows.values()].map((r) => r[1])],
      );
    },
  }),
});
const runner = createPostgresProjectionRunner(store, [balances], { batchSize: 13, pollIntervalMs: 50 });
await runner.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void runner.stop().then(() => store.close().then(() => process.exit(0)));
});
let i = 0;
while (mode === 'write') {
  await Promise.all(
    Array.from({ length: 8 }, () => {
      i++;
      return store.appendToStream(`acc-${i % 17}`, [
        { type: 'MoneyDeposited', data: { amount: (i % 97) + 1 } },
      ]);
    }),
  );
}
