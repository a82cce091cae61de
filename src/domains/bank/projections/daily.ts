import { accountStreamPrefix, type RecordedAccountEvent } from './account-events.js';

/** The activity of one UTC day, in counts and totals of minor units. */
export interface DailyRow {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  depositCount: number;
  depositTotal: number;
  withdrawalCount: number;
  withdrawalTotal: number;
  /** Completed transfer credits: a transfer counts once, when its money reaches the target. */
  transferCount: number;
  transferTotal: number;
}

/** What the daily activity projection declares, whatever holds its view. */
export const dailyInfo = {
  name: 'bank-daily',
  version: 1,
  // A transfer counts once, on its credit: its debit and a refund are not activity of their own.
  handles: ['MoneyDeposited', 'MoneyWithdrawn', 'TransferCredited'],
  streamPrefix: accountStreamPrefix,
} as const;

/** A day with no activity. */
export const emptyDay = (day: string): DailyRow => ({
  day,
  depositCount: 0,
  depositTotal: 0,
  withdrawalCount: 0,
  withdrawalTotal: 0,
  transferCount: 0,
  transferTotal: 0,
});

/**
 * What one event adds to its day (UTC, by when it was recorded), or undefined for an event that is not activity.
 *
 * @example
 * dailyDelta(depositOf250)?.depositTotal; // 250
 */
export function dailyDelta(event: RecordedAccountEvent): DailyRow | undefined {
  const row = emptyDay(event.recordedAt.toISOString().slice(0, 10));
  switch (event.type) {
    case 'MoneyDeposited':
      return { ...row, depositCount: 1, depositTotal: event.data.amount };
    case 'MoneyWithdrawn':
      return { ...row, withdrawalCount: 1, withdrawalTotal: event.data.amount };
    case 'TransferCredited':
      return { ...row, transferCount: 1, transferTotal: event.data.amount };
    default:
      return undefined;
  }
}

/** Two days' activity added up (of the same day). */
export function addDaily(a: DailyRow, b: DailyRow): DailyRow {
  return {
    day: a.day,
    depositCount: a.depositCount + b.depositCount,
    depositTotal: a.depositTotal + b.depositTotal,
    withdrawalCount: a.withdrawalCount + b.withdrawalCount,
    withdrawalTotal: a.withdrawalTotal + b.withdrawalTotal,
    transferCount: a.transferCount + b.transferCount,
    transferTotal: a.transferTotal + b.transferTotal,
  };
}

/** The counters of a day row, in column order, for the SQL of both backends. */
export const dailyCounters = [
  'depositCount',
  'depositTotal',
  'withdrawalCount',
  'withdrawalTotal',
  'transferCount',
  'transferTotal',
] as const satisfies readonly (keyof DailyRow)[];
