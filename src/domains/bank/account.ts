import type { Decider, Message } from 'hindsight';

/** Why the account refused a command; `code` is what the HTTP layer maps to a status. */
export class AccountError extends Error {
  constructor(
    readonly code:
      | 'AccountExists'
      | 'AccountNotFound'
      | 'InsufficientFunds'
      | 'AccountClosed'
      | 'AccountNotEmpty'
      | 'InvalidAmount',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type AccountCommand =
  | Message<'OpenAccount', { owner: string; currency: string }>
  | Message<'Deposit', { amount: number }>
  | Message<'Withdraw', { amount: number }>
  | Message<'CloseAccount', Record<string, never>>;

export type AccountEvent =
  | Message<'AccountOpened', { owner: string; currency: string }>
  | Message<'MoneyDeposited', { amount: number }>
  | Message<'MoneyWithdrawn', { amount: number }>
  | Message<'AccountClosed', Record<string, never>>;

export interface AccountState {
  status: 'none' | 'open' | 'closed';
  owner: string;
  currency: string;
  /** Integer minor units, never negative. */
  balance: number;
}

const maxAmount = 1_000_000_000_000;

function checkAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > maxAmount) {
    throw new AccountError('InvalidAmount', `amount must be a positive integer of at most ${maxAmount}`);
  }
}

function requireOpen(state: AccountState): void {
  if (state.status === 'none') throw new AccountError('AccountNotFound', 'no such account');
  if (state.status === 'closed') throw new AccountError('AccountClosed', 'the account is closed');
}

/** A bank account: opened, credited and debited in integer minor units, closed when empty. */
export const account: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: () => ({ status: 'none', owner: '', currency: '', balance: 0 }),

  evolve(state, event): AccountState {
    switch (event.type) {
      case 'AccountOpened':
        return { ...state, status: 'open', owner: event.data.owner, currency: event.data.currency };
      case 'MoneyDeposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'MoneyWithdrawn':
        return { ...state, balance: state.balance - event.data.amount };
      case 'AccountClosed':
        return { ...state, status: 'closed' };
    }
  },

  decide(command, state): AccountEvent {
    switch (command.type) {
      case 'OpenAccount':
        if (state.status !== 'none') throw new AccountError('AccountExists', 'the account already exists');
        return { type: 'AccountOpened', data: command.data };
      case 'Deposit':
        requireOpen(state);
        checkAmount(command.data.amount);
        return { type: 'MoneyDeposited', data: { amount: command.data.amount } };
      case 'Withdraw':
        requireOpen(state);
        checkAmount(command.data.amount);
        if (command.data.amount > state.balance) {
          throw new AccountError('InsufficientFunds', `balance ${state.balance} < ${command.data.amount}`);
        }
        return { type: 'MoneyWithdrawn', data: { amount: command.data.amount } };
      case 'CloseAccount':
        requireOpen(state);
        if (state.balance !== 0) throw new AccountError('AccountNotEmpty', `balance ${state.balance} left`);
        return { type: 'AccountClosed', data: {} };
    }
  },
};
