import { accountEventTypes, accountIdOf } from '../account.js';
import {
  accountStreamPrefix,
  amountOf,
  balanceDelta,
  metadataString,
  type RecordedAccountEvent,
} from './account-events.js';

/** One line of an account's audit trail: every event, with who caused it and the balance it left. */
export interface HistoryEntry {
  eventId: string;
  accountId: string;
  position: number;
  version: number;
  type: string;
  /** The amount moved (always positive; `type` says which way), or null for opening and closing. */
  amount: number | null;
  balanceAfter: number;
  /** The token's actor that caused the event. */
  actor: string | null;
  /** When the event was recorded (ISO-8601). */
  at: string;
  correlationId: string | null;
  /** The transfer a transfer leg belongs to. */
  transferId: string | null;
}

/** What the history projection declares, whatever holds its view. */
export const historyInfo = {
  name: 'bank-history',
  version: 1,
  handles: accountEventTypes,
  streamPrefix: accountStreamPrefix,
} as const;

/**
 * The audit-trail entry of an event, given the account's balance before it.
 *
 * @example
 * historyEntry(depositOf250, 100).balanceAfter; // 350
 */
export function historyEntry(event: RecordedAccountEvent, balanceBefore: number): HistoryEntry {
  return {
    eventId: event.id,
    accountId: accountIdOf(event.streamId),
    position: event.position,
    version: event.streamVersion,
    type: event.type,
    amount: amountOf(event),
    balanceAfter: balanceBefore + balanceDelta(event),
    actor: metadataString(event, 'actor'),
    at: event.recordedAt.toISOString(),
    correlationId: metadataString(event, 'correlationId'),
    transferId: transferIdOf(event),
  };
}

function transferIdOf(event: RecordedAccountEvent): string | null {
  switch (event.type) {
    case 'TransferDebited':
    case 'TransferCredited':
    case 'TransferRefunded':
      return event.data.transferId;
    default:
      return null;
  }
}
