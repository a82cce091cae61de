import type { RecordedEvent } from 'hindsight';
import type { AccountEvent } from '../account.js';

/** The streams of accounts: what every bank projection follows. */
export const accountStreamPrefix = 'account-';

/** A recorded event of an account stream, with its data typed. */
export type RecordedAccountEvent = Omit<RecordedEvent, 'type' | 'data'> & AccountEvent;

/** Types a recorded event of an account stream (projections declare `handles`, so only these arrive). */
export const asAccountEvent = (event: RecordedEvent) => event as unknown as RecordedAccountEvent;

/**
 * How an event changes the balance, in minor units: what balances, history and the conservation checks fold.
 *
 * @example
 * balanceDelta({ type: 'MoneyWithdrawn', data: { amount: 5 } }); // -5
 */
export function balanceDelta(event: AccountEvent): number {
  switch (event.type) {
    case 'MoneyDeposited':
    case 'TransferCredited':
    case 'TransferRefunded':
      return event.data.amount;
    case 'MoneyWithdrawn':
    case 'TransferDebited':
      return -event.data.amount;
    case 'AccountOpened':
    case 'AccountClosed':
      return 0;
  }
}

/** The amount an event moves, or null for one that moves no money (opening, closing). */
export function amountOf(event: AccountEvent): number | null {
  return event.type === 'AccountOpened' || event.type === 'AccountClosed' ? null : event.data.amount;
}

/** A string of the metadata, or null. */
export const metadataString = (event: RecordedEvent, key: string): string | null => {
  const value = event.metadata[key];
  return typeof value === 'string' ? value : null;
};
