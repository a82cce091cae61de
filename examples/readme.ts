import { createSqliteEventStore } from 'hindsight/sqlite';

const store = createSqliteEventStore({ file: ':memory:' });

await store.appendToStream(
  'account-42',
  [
    { type: 'AccountOpened', data: { owner: 'Ada', currency: 'EUR' }, metadata: { actor: 'ada' } },
    { type: 'MoneyDeposited', data: { amount: 5_000 } }, // integer minor units: EUR 50.00
  ],
  { expectedVersion: 'no_stream' },
);

let balance = 0;
for await (const event of store.readStream('account-42')) {
  if (event.type === 'MoneyDeposited') balance += (event.data as { amount: number }).amount;
}
console.log(`balance of account-42: ${balance}`); // balance of account-42: 5000
await store.close();
