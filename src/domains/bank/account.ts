import type { Decider, Message } from 'hindsight';

/** Every reason the account refuses a command. */
export type AccountErrorCode =
  | 'AccountExists'
  | 'AccountNotFound'
  | 'InsufficientFunds'
  | 'AccountClosed'
  | 'AccountNotEmpty'
  | 'InvalidAmount'
  | 'BalanceLimitExceeded'
  | 'TransferMismatch';

/** Why the account refused a command; `code` is what the HTTP layer maps to a status. */
export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
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
  | Message<'CloseAccount', Record<string, never>>
  | Message<'DebitTransfer', { transferId: string; to: string; amount: number }>
  | Message<'CreditTransfer', { transferId: string; from: string; amount: number }>
  | Message<'RefundTransfer', { transferId: string; amount: number }>;

export type AccountEvent =
  | Message<'AccountOpened', { owner: string; currency: string }>
  | Message<'MoneyDeposited', { amount: number }>
  | Message<'MoneyWithdrawn', { amount: number }>
  | Message<'AccountClosed', Record<string, never>>
  | Message<'TransferDebited', { transferId: string; to: string; amount: number }>
  | Message<'TransferCredited', { transferId: string; from: string; amount: number }>
  | Message<'TransferRefunded', { transferId: string; amount: number }>;

/** The event types of an account stream, for projections' `handles`. */
export const accountEventTypes = [
  'AccountOpened',
  'MoneyDeposited',
  'MoneyWithdrawn',
  'AccountClosed',
  'TransferDebited',
  'TransferCredited',
  'TransferRefunded',
] as const satisfies readonly AccountEvent['type'][];

/** What the account remembers of one transfer that touched it, so a repeated leg is recognised. */
export interface TransferLegs {
  debited?: { to: string; amount: number };
  credited?: { from: string; amount: number };
  refunded?: boolean;
}

export interface AccountState {
  status: 'none' | 'open' | 'closed';
  owner: string;
  currency: string;
  /** Integer minor units, never negative. */
  balance: number;
  /** The transfers that debited, credited or refunded this account, by transfer id. */
  transfers: Record<string, TransferLegs>;
}

/** The largest amount of one command, in minor units. */
export const maxAmount = 1_000_000_000_000;
/** The largest balance an account may reach by deposits and credits: far below 2^53, so sums stay exact. */
export const maxBalance = 1_000_000_000_000_000;

/**
 * The stream of an account.
 *
 * @example
 * accountStream('ada-1'); // 'account-ada-1'
 */
export const accountStream = (accountId: string) => `account-${accountId}`;

/** The id of an account from its stream's id (`account-ada-1` → `ada-1`). */
export const accountIdOf = (streamId: string) => streamId.slice('account-'.length);

function checkAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > maxAmount) {
    throw new AccountError('InvalidAmount', `amount must be a positive integer of at most ${maxAmount}`);
  }
}

function checkCredit(state: AccountState, amount: number): void {
  if (state.balance + amount > maxBalance) {
    throw new AccountError('BalanceLimitExceeded', `the balance would pass ${maxBalance}`);
  }
}

function checkTransferId(transferId: string): void {
  if (typeof transferId !== 'string' || transferId.length === 0 || transferId.length > 200) {
    throw new AccountError('TransferMismatch', 'a transfer id must be 1 to 200 characters');
  }
}

function requireOpen(state: AccountState): void {
  if (state.status === 'none') throw new AccountError('AccountNotFound', 'no such account');
  if (state.status === 'closed') throw new AccountError('AccountClosed', 'the account is closed');
}

function requireFunds(state: AccountState, amount: number): void {
  if (amount > state.balance) {
    throw new AccountError('InsufficientFunds', `balance ${state.balance} < ${amount}`);
  }
}

// Own keys only: a transfer id such as "constructor" must not find Object.prototype's.
const legsOf = (state: AccountState, transferId: string): TransferLegs | undefined =>
  Object.hasOwn(state.transfers, transferId) ? state.transfers[transferId] : undefined;

const leg = (state: AccountState, transferId: string, legs: TransferLegs): AccountState => ({
  ...state,
  transfers: { ...state.transfers, [transferId]: { ...legsOf(state, transferId), ...legs } },
});

/**
 * A bank account: opened, credited and debited in integer minor units, closed when empty.
 *
 * Transfers between accounts are a saga of three legs, each a command on one account: `DebitTransfer` on the
 * source (the rules of a withdrawal), `CreditTransfer` on the target (an open account), and, when the credit
 * fails, `RefundTransfer` on the source. A leg repeated with the same transfer id and data emits nothing, so a
 * saga may retry any step. A refund must match a debit of this account (same id and amount) and is accepted
 * whatever the account's status since: a debit that happened can always be undone, even after the owner
 * closed the emptied account (the money then sits, visible, on the closed account).
 *
 * @example
 * const { state } = await handleCommand(store, accountStream('ada'), account,
 *   { type: 'Deposit', data: { amount: 5000 } }, { metadata: { actor: 'teller' } });
 */
export const account: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: () => ({ status: 'none', owner: '', currency: '', balance: 0, transfers: {} }),

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
      case 'TransferDebited': {
        const { transferId, to, amount } = event.data;
        return { ...leg(state, transferId, { debited: { to, amount } }), balance: state.balance - amount };
      }
      case 'TransferCredited': {
        const { transferId, from, amount } = event.data;
        return { ...leg(state, transferId, { credited: { from, amount } }), balance: state.balance + amount };
      }
      case 'TransferRefunded':
        return {
          ...leg(state, event.data.transferId, { refunded: true }),
          balance: state.balance + event.data.amount,
        };
    }
  },

  decide(command, state): AccountEvent | AccountEvent[] {
    switch (command.type) {
      case 'OpenAccount':
        if (state.status !== 'none') throw new AccountError('AccountExists', 'the account already exists');
        return { type: 'AccountOpened', data: command.data };
      case 'Deposit':
        requireOpen(state);
        checkAmount(command.data.amount);
        checkCredit(state, command.data.amount);
        return { type: 'MoneyDeposited', data: { amount: command.data.amount } };
      case 'Withdraw':
        requireOpen(state);
        checkAmount(command.data.amount);
        requireFunds(state, command.data.amount);
        return { type: 'MoneyWithdrawn', data: { amount: command.data.amount } };
      case 'CloseAccount':
        requireOpen(state);
        if (state.balance !== 0) throw new AccountError('AccountNotEmpty', `balance ${state.balance} left`);
        return { type: 'AccountClosed', data: {} };
      case 'DebitTransfer': {
        const { transferId, to, amount } = command.data;
        checkTransferId(transferId);
        const earlier = legsOf(state, transferId)?.debited;
        if (earlier) {
          if (earlier.to === to && earlier.amount === amount) return [];
          throw new AccountError('TransferMismatch', `transfer ${transferId} was debited with other data`);
        }
        requireOpen(state);
        checkAmount(amount);
        requireFunds(state, amount);
        return { type: 'TransferDebited', data: { transferId, to, amount } };
      }
      case 'CreditTransfer': {
        const { transferId, from, amount } = command.data;
        checkTransferId(transferId);
        const earlier = legsOf(state, transferId)?.credited;
        if (earlier) {
          if (earlier.from === from && earlier.amount === amount) return [];
          throw new AccountError('TransferMismatch', `transfer ${transferId} was credited with other data`);
        }
        requireOpen(state);
        checkAmount(amount);
        checkCredit(state, amount);
        return { type: 'TransferCredited', data: { transferId, from, amount } };
      }
      case 'RefundTransfer': {
        const { transferId, amount } = command.data;
        if (state.status === 'none') throw new AccountError('AccountNotFound', 'no such account');
        const legs = legsOf(state, transferId);
        if (!legs?.debited || legs.debited.amount !== amount) {
          throw new AccountError(
            'TransferMismatch',
            `no debit of ${amount} for transfer ${transferId} on this account to refund`,
          );
        }
        if (legs.refunded) return [];
        // No status check and no balance limit: undoing a debit that happened must always succeed.
        return { type: 'TransferRefunded', data: { transferId, amount } };
      }
    }
  },
};
