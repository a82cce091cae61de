// Compiled by `npm run typecheck`, never run: each @ts-expect-error must stay an error, so a decider's
// commands and events stay typed end to end.
import type { Decider, Message } from './decider.js';

type Deposit = Message<'Deposit', { amount: number }>;
type Deposited = Message<'Deposited', { amount: number }>;

export const account: Decider<Deposit, Deposited, { balance: number }> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
  // @ts-expect-error an event type the decider does not declare
  decide: () => [{ type: 'Withdrawn', data: { amount: 1 } }],
};

export const wrongData: Decider<Deposit, Deposited, { balance: number }> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state) => state,
  // @ts-expect-error data of the wrong shape
  decide: (command) => ({ type: 'Deposited', data: { amount: String(command.data.amount) } }),
};

export function handle(d: Decider<Deposit, Deposited, { balance: number }>) {
  // @ts-expect-error a command type that does not exist
  d.decide({ type: 'Withdraw', data: { amount: 1 } }, { balance: 0 });
}
