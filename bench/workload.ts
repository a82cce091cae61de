import type { BenchEvent } from './systems/types.js';

/**
 * The event every scenario writes: a small deposit, about 120 bytes of JSON in data and metadata together,
 * the shape of the bank ledger domain. No id is given, so each system makes its own (a random UUID).
 */
export function depositEvent(n: number): BenchEvent {
  return {
    type: 'Deposited',
    data: {
      accountId: `account-${n % 10_000}`,
      amount: 1000 + (n % 997),
      currency: 'EUR',
      reference: `ref-${n}`,
    },
    metadata: { actor: 'bench', correlationId: `corr-${n}` },
  };
}

/** `count` deposit events numbered from `first`. */
export function depositEvents(first: number, count: number): BenchEvent[] {
  const events = new Array<BenchEvent>(count);
  for (let i = 0; i < count; i++) events[i] = depositEvent(first + i);
  return events;
}

/** The balance a stream's deposits fold to, the same fold for every system. */
export interface BalanceState {
  balance: number;
}

type DepositMessage = { type: string; data: unknown };

const amountOf = (data: unknown): number => (data as { amount: number }).amount;

/** Folds a deposit (any other event leaves the state as it is). */
export function evolveBalance(state: BalanceState, event: DepositMessage): BalanceState {
  return event.type === 'Deposited' ? { balance: state.balance + amountOf(event.data) } : state;
}

/** The bench's decider: a `Deposit` command becomes one `Deposited` event with the same data. */
export const balanceDecider = {
  initialState: (): BalanceState => ({ balance: 0 }),
  evolve: evolveBalance,
  decide: (command: { type: 'Deposit'; data: BenchEvent['data'] }) => [
    { type: 'Deposited', data: command.data },
  ],
};

/** The amount of a deposit event's data. */
export { amountOf };
