import { accountIdOf } from '../account.js';
import { accountStreamPrefix, type RecordedAccountEvent } from './account-events.js';

/** The rules that raise alerts. */
export type AlertRule = 'large-withdrawal' | 'withdrawal-burst';

/** A withdrawal (or transfer debit) of at least this many minor units raises a `large-withdrawal` alert. */
export const largeAmount = 1_000_000;
/** This many withdrawals from one account … */
export const burstCount = 5;
/** … within this many milliseconds (first to last) raise a `withdrawal-burst` alert. */
export const burstWindowMs = 60_000;

/** Suspicious activity on an account. */
export interface Alert {
  /** Derived from the events, so a rebuild raises the same alerts with the same ids. */
  alertId: string;
  rule: AlertRule;
  accountId: string;
  /** When the event that raised it was recorded (ISO-8601). */
  at: string;
  /** The events it is about, in log order; a burst alert grows while the burst goes on. */
  eventIds: string[];
  detail: string;
  /** The global position of the event that raised it: the order of `GET /alerts`. */
  position: number;
}

/** What the burst rule remembers of one account between events. */
export interface BurstState {
  /** Withdrawals of the last `burstWindowMs` before the latest one (times in ms since the epoch). */
  recent: { eventId: string; at: number }[];
  /** The alert of the burst going on, if one is. */
  open: Alert | null;
}

/** What the alerts projection declares, whatever holds its view. */
export const alertsInfo = {
  name: 'bank-alerts',
  version: 1,
  handles: ['MoneyWithdrawn', 'TransferDebited'],
  streamPrefix: accountStreamPrefix,
} as const;

export const noBurst = (): BurstState => ({ recent: [], open: null });

/**
 * Runs the rules on one event of an account: the account's burst state after it, and the alerts it raised or
 * extended (each in full, to be upserted by `alertId`).
 *
 * A burst is a run of withdrawals during which every withdrawal has at least `burstCount - 1` others within
 * `burstWindowMs` before it: it raises one alert when the window first holds `burstCount` withdrawals (with
 * their ids), and each later withdrawal while the window stays that full joins the same alert. When a
 * withdrawal finds the window below `burstCount`, the burst is over; a later one is a new alert.
 *
 * @example
 * const { state, alerts } = alertStep(noBurst(), withdrawalOf2Million); // alerts[0].rule === 'large-withdrawal'
 */
export function alertStep(
  state: BurstState,
  event: RecordedAccountEvent,
): { state: BurstState; alerts: Alert[] } {
  if (event.type !== 'MoneyWithdrawn' && event.type !== 'TransferDebited') return { state, alerts: [] };
  const accountId = accountIdOf(event.streamId);
  const at = event.recordedAt.toISOString();
  const alerts: Alert[] = [];
  if (event.data.amount >= largeAmount) {
    const what = event.type === 'MoneyWithdrawn' ? 'withdrawal' : 'transfer debit';
    alerts.push({
      alertId: `large-withdrawal:${event.id}`,
      rule: 'large-withdrawal',
      accountId,
      at,
      eventIds: [event.id],
      detail: `${what} of ${event.data.amount} (at least ${largeAmount})`,
      position: event.position,
    });
  }
  if (event.type !== 'MoneyWithdrawn') return { state, alerts };

  const time = event.recordedAt.getTime();
  const recent = [
    ...state.recent.filter((r) => time - r.at <= burstWindowMs),
    { eventId: event.id, at: time },
  ];
  let open: Alert | null = null;
  if (recent.length >= burstCount) {
    const eventIds = state.open ? [...state.open.eventIds, event.id] : recent.map((r) => r.eventId);
    open = {
      alertId: state.open?.alertId ?? `withdrawal-burst:${recent[0]?.eventId}`,
      rule: 'withdrawal-burst',
      accountId,
      at: state.open?.at ?? at,
      eventIds,
      detail: `${eventIds.length} withdrawals in a burst, at least ${burstCount} within ${burstWindowMs / 1000} s`,
      position: state.open?.position ?? event.position,
    };
    alerts.push(open);
  }
  // Only the window is kept: older withdrawals can never join it again.
  return { state: { recent: recent.slice(-burstCount), open }, alerts };
}
