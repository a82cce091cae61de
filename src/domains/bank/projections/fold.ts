import type { RecordedEvent } from 'hindsight';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from './account-events.js';
import { type Alert, alertStep, alertsInfo, type BurstState, noBurst } from './alerts.js';
import { applyToBalance, type BalanceRow } from './balances.js';
import { addDaily, type DailyRow, dailyDelta, dailyInfo } from './daily.js';
import { type HistoryEntry, historyEntry } from './history.js';

/** Every bank view, folded in memory. */
export interface BankViewsInMemory {
  balances: BalanceRow[];
  history: HistoryEntry[];
  daily: DailyRow[];
  alerts: Alert[];
}

/**
 * Folds events of the log into every bank view in memory, with the same pure logic as the SQLite and
 * PostgreSQL projections: what their tables must hold once they have applied these events (sorted as the
 * queries sort: accounts by id, history by position, days by day, alerts by position and id).
 *
 * @example
 * const expected = foldBankViews(eventsOfTheLog);
 */
export function foldBankViews(events: Iterable<RecordedEvent>): BankViewsInMemory {
  const balances = new Map<string, BalanceRow>();
  const history: HistoryEntry[] = [];
  const days = new Map<string, DailyRow>();
  const bursts = new Map<string, BurstState>();
  const alerts = new Map<string, Alert>();
  const dailyTypes: readonly string[] = dailyInfo.handles;
  const alertTypes: readonly string[] = alertsInfo.handles;
  for (const recorded of events) {
    if (!recorded.streamId.startsWith('account-')) continue;
    const event = asAccountEvent(recorded);
    const id = accountIdOf(event.streamId);
    const before = balances.get(id);
    history.push(historyEntry(event, before?.balance ?? 0));
    balances.set(id, applyToBalance(before, event));
    const delta = dailyTypes.includes(event.type) ? dailyDelta(event) : undefined;
    if (delta)
      days.set(delta.day, days.has(delta.day) ? addDaily(days.get(delta.day) as DailyRow, delta) : delta);
    if (alertTypes.includes(event.type)) {
      const step = alertStep(bursts.get(id) ?? noBurst(), event);
      bursts.set(id, step.state);
      for (const alert of step.alerts) alerts.set(alert.alertId, alert);
    }
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    balances: [...balances.values()].sort((a, b) => byText(a.accountId, b.accountId)),
    history,
    daily: [...days.values()].sort((a, b) => byText(a.day, b.day)),
    alerts: [...alerts.values()].sort((a, b) => a.position - b.position || byText(a.alertId, b.alertId)),
  };
}
