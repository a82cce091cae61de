import { accountEventTypes, accountIdOf } from '../account.js';
import { accountStreamPrefix, balanceDelta, type RecordedAccountEvent } from './account-events.js';

/** One account in the balances view. */
export interface BalanceRow {
  accountId: string;
  owner: string;
  currency: string;
  /** Integer minor units. */
  balance: number;
  status: 'open' | 'closed';
  /** The account stream's version: the ETag of account responses. */
  version: number;
  /** The global position of the account's last event. */
  position: number;
  /** When the account's last event was recorded (ISO-8601). */
  updatedAt: string;
}

/** What the balances projection declares, whatever holds its view. */
export const balancesInfo = {
  name: 'bank-balances',
  version: 1,
  handles: accountEventTypes,
  streamPrefix: accountStreamPrefix,
} as const;

/**
 * The balances row after one event of its account (`undefined`: no row yet). Pure: the SQLite and PostgreSQL
 * projections and the tests all fold with it.
 *
 * @example
 * const row = applyToBalance(undefined, openedEvent); // { balance: 0, status: 'open', … }
 */
export function applyToBalance(row: BalanceRow | undefined, event: RecordedAccountEvent): BalanceRow {
  const current: BalanceRow = row ?? {
    accountId: accountIdOf(event.streamId),
    owner: '',
    currency: '',
    balance: 0,
    status: 'open',
    version: 0,
    position: 0,
    updatedAt: '',
  };
  const next: BalanceRow = {
    ...current,
    balance: current.balance + balanceDelta(event),
    version: event.streamVersion,
    position: event.position,
    updatedAt: event.recordedAt.toISOString(),
  };
  if (event.type === 'AccountOpened') {
    next.owner = event.data.owner;
    next.currency = event.data.currency;
    next.status = 'open';
  }
  if (event.type === 'AccountClosed') next.status = 'closed';
  return next;
}
