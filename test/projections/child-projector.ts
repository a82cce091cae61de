// Run by the kill -9 test: projects balances live while appending deposits, until killed.
import { createSqliteEventStore } from '../../src/sqlite/index.js';
import { createSqliteProjectionRunner, sqliteProjection } from '../../src/sqlite/projections.js';

const file = process.argv[2] as string;
const store = createSqliteEventStore({ file, durability: 'normal' });
const balances = sqliteProjection({
  name: 'balances',
  version: 1,
  handles: ['MoneyDeposited'],
  tables: { balances: 'account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL, events INTEGER NOT NULL' },
  handler: (db, t) => {
    const add = db.prepare(
      `INSERT INTO ${t.balances} VALUES (?, ?, 1)
       ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance, events = events + 1`,
    );
    return (e) => {
      add.run(e.streamId, (e.data as { amount: number }).amount);
    };
  },
});
const runner = createSqliteProjectionRunner(store, [balances], { batchSize: 13, pollIntervalMs: 5 });
await runner.start();
process.stdout.write('ready\n');
let i = 0;
while (true) {
  const writers = Array.from({ length: 8 }, () => {
    i++;
    return store.appendToStream(`acc-${i % 17}`, [
      { type: 'MoneyDeposited', data: { amount: (i % 97) + 1 } },
    ]);
  });
  await Promise.all(writers);
}
