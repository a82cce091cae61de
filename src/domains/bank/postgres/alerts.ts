import { postgresProjection } from 'hindsight/postgres';
import { accountIdOf } from '../account.js';
import { asAccountEvent } from '../projections/account-events.js';
import {
  type Alert,
  type AlertRule,
  alertStep,
  alertsInfo,
  type BurstState,
  noBurst,
} from '../projections/alerts.js';
import { columns, int } from './rows.js';

// Casts are aliased: ORDER BY a name of the select list would sort by its text ("10" before "9").
export const alertColumns =
  'alert_id, rule, account_id, at, event_ids, detail, position::text AS position_text';

export const alertRow = (r: unknown[]): Alert => ({
  alertId: r[0] as string,
  rule: r[1] as AlertRule,
  accountId: r[2] as string,
  at: r[3] as string,
  eventIds: JSON.parse(r[4] as string) as string[],
  detail: r[5] as string,
  position: int(r[6]),
});

/**
 * Suspicious activity: large withdrawals and bursts of withdrawals (`bank_alerts`, and the burst rule's memory
 * per account in `bank_alert_bursts`). A batch reads the burst state of the accounts it touches, runs the rules
 * in memory, and writes states and alerts with one upsert each.
 *
 * @example
 * const runner = createPostgresProjectionRunner(store, [postgresAlerts]);
 */
export const postgresAlerts = postgresProjection({
  ...alertsInfo,
  tables: {
    bank_alerts: `alert_id text PRIMARY KEY, rule text NOT NULL, account_id text NOT NULL, at text NOT NULL,
      event_ids text NOT NULL, detail text NOT NULL, position bigint NOT NULL`,
    bank_alert_bursts: 'account_id text PRIMARY KEY, state text NOT NULL',
  },
  setup: (t) => `CREATE INDEX ON ${t.bank_alerts} (position, alert_id)`,
  handler: (t) => ({
    async apply(client, events) {
      const withdrawers = [
        ...new Set(events.filter((e) => e.type === 'MoneyWithdrawn').map((e) => accountIdOf(e.streamId))),
      ];
      const stored = await client.query<[string, string]>({
        text: `SELECT account_id, state FROM ${t.bank_alert_bursts} WHERE account_id = ANY($1::text[])`,
        values: [withdrawers],
        rowMode: 'array',
      });
      const states = new Map<string, BurstState>(stored.rows.map(([id, s]) => [id, JSON.parse(s)]));
      const alerts = new Map<string, Alert>();
      for (const e of events) {
        const id = accountIdOf(e.streamId);
        const step = alertStep(states.get(id) ?? noBurst(), asAccountEvent(e));
        if (e.type === 'MoneyWithdrawn') states.set(id, step.state);
        for (const alert of step.alerts) alerts.set(alert.alertId, alert);
      }
      if (states.size > 0) {
        await client.query(
          `INSERT INTO ${t.bank_alert_bursts} SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT (account_id) DO UPDATE SET state = excluded.state`,
          [[...states.keys()], [...states.values()].map((s) => JSON.stringify(s))],
        );
      }
      if (alerts.size === 0) return;
      const rows = [...alerts.values()].map((a) => ({ ...a, eventIds: JSON.stringify(a.eventIds) }));
      await client.query(
        `INSERT INTO ${t.bank_alerts} SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
           $5::text[], $6::text[], $7::bigint[])
         ON CONFLICT (alert_id) DO UPDATE SET event_ids = excluded.event_ids, detail = excluded.detail`,
        columns(rows, ['alertId', 'rule', 'accountId', 'at', 'eventIds', 'detail', 'position']),
      );
    },
  }),
});
