import { sqliteProjection } from 'hindsight/sqlite';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from '../projections/account-events.js';
import { type Alert, type AlertRule, alertStep, alertsInfo, noBurst } from '../projections/alerts.js';

/** The columns of an alert, as SQLite holds them. */
export interface AlertRecord {
  alert_id: string;
  rule: string;
  account_id: string;
  at: string;
  event_ids: string;
  detail: string;
  position: number;
}

export const alertRow = (r: AlertRecord): Alert => ({
  alertId: r.alert_id,
  rule: r.rule as AlertRule,
  accountId: r.account_id,
  at: r.at,
  eventIds: JSON.parse(r.event_ids) as string[],
  detail: r.detail,
  position: r.position,
});

/**
 * Suspicious activity: large withdrawals and bursts of withdrawals (`bank_alerts`, and the burst rule's memory
 * per account in `bank_alert_bursts`).
 *
 * @example
 * const runner = createSqliteProjectionRunner(store, [sqliteAlerts]);
 */
export const sqliteAlerts = sqliteProjection({
  ...alertsInfo,
  tables: {
    bank_alerts: `alert_id TEXT PRIMARY KEY, rule TEXT NOT NULL, account_id TEXT NOT NULL, at TEXT NOT NULL,
      event_ids TEXT NOT NULL, detail TEXT NOT NULL, position INTEGER NOT NULL`,
    bank_alert_bursts: 'account_id TEXT PRIMARY KEY, state TEXT NOT NULL',
  },
  setup: (t) => `CREATE INDEX "${t.bank_alerts}_by_position" ON "${t.bank_alerts}" (position)`,
  handler: (db, t) => {
    const readBurst = db
      .prepare<[string], string>(`SELECT state FROM ${t.bank_alert_bursts} WHERE account_id = ?`)
      .pluck();
    const writeBurst = db.prepare(`INSERT OR REPLACE INTO ${t.bank_alert_bursts} VALUES (?, ?)`);
    const writeAlert = db.prepare(
      `INSERT OR REPLACE INTO ${t.bank_alerts} VALUES (@alertId, @rule, @accountId, @at, @eventIds, @detail,
         @position)`,
    );
    return (e) => {
      const accountId = accountIdOf(e.streamId);
      const stored = readBurst.get(accountId);
      const { state, alerts } = alertStep(stored ? JSON.parse(stored) : noBurst(), asAccountEvent(e));
      if (e.type === 'MoneyWithdrawn') writeBurst.run(accountId, JSON.stringify(state));
      for (const alert of alerts) writeAlert.run({ ...alert, eventIds: JSON.stringify(alert.eventIds) });
    };
  },
});
