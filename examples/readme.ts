import { type Decider, handleCommand, type Message } from 'hindsight';
import { createSqliteEventStore } from 'hindsight/sqlite';

type Deposit = Message<'Deposit', { amount: number }>; // integer minor units: 5_000 is EUR 50.00
type Deposited = Message<'Deposited', { amount: number }>;

const account: Decider<Deposit, Deposited, { balance: number }> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
  decide: (command) => ({ type: 'Deposited', data: { amount: command.data.amount } }),
};

const store = createSqliteEventStore({ file: ':memory:' });
const deposit = (amount: number) => ({ type: 'Deposit' as const, data: { amount } });
await handleCommand(store, 'account-42', account, deposit(5_000), { metadata: { actor: 'ada' } });
const { state } = await handleCommand(store, 'account-42', account, deposit(250), {
  metadata: { actor: 'bob' },
});
console.log(`balance: ${state.balance}`); // balance: 5250

for await (const event of store.readStream('account-42')) {
  console.log(`#${event.position} ${event.type} ${JSON.stringify(event.data)} by ${event.metadata.actor}`);
} // #1 Deposited {"amount":5000} by ada, then #2 Deposited {"amount":250} by bob
await store.close();
