import fc from 'fast-check';
import { fold, type RecordedEvent } from 'hindsight';
import { describe, expect, it } from 'vitest';
import { type AccountCommand, AccountError, type AccountEvent, account } from '../account.js';
import { asAccountEvent, type RecordedAccountEvent } from './account-events.js';
import { type Alert, alertStep, noBurst } from './alerts.js';
import { applyToBalance, type BalanceRow } from './balances.js';
import { addDaily, type DailyRow, dailyDelta } from './daily.js';
import { type HistoryEntry, historyEntry } from './history.js';

const t0 = Date.parse('2026-03-01T23:59:00Z');

/** Given these events of accounts (each at `t0 + at` ms), as the log would record them. */
function given(events: { account: string; event: AccountEvent; at?: number; actor?: string }[]) {
  const versions = new Map<string, number>();
  return events.map(({ account: id, event, at = 0, actor = 'will' }, i): RecordedAccountEvent => {
    const version = (versions.get(id) ?? 0) + 1;
    versions.set(id, version);
    const recorded: RecordedEvent = {
      id: `e${i + 1}`,
      streamId: `account-${id}`,
      streamVersion: version,
      position: i + 1,
      type: event.type,
      schemaVersion: 1,
      data: event.data as RecordedEvent['data'],
      metadata: { actor, correlationId: `c${i + 1}` },
      recordedAt: new Date(t0 + at),
    };
    return asAccountEvent(recorded);
  });
}

const balances = (events: RecordedAccountEvent[]) => {
  const rows = new Map<string, BalanceRow>();
  for (const e of events) rows.set(e.streamId, applyToBalance(rows.get(e.streamId), e));
  return rows;
};
const history = (events: RecordedAccountEvent[]) => {
  const last = new Map<string, number>();
  return events.map((e): HistoryEntry => {
    const entry = historyEntry(e, last.get(e.streamId) ?? 0);
    last.set(e.streamId, entry.balanceAfter);
    return entry;
  });
};
const daily = (events: RecordedAccountEvent[]) => {
  const days = new Map<string, DailyRow>();
  for (const e of events) {
    const d = dailyDelta(e);
    if (d) days.set(d.day, days.has(d.day) ? addDaily(days.get(d.day) as DailyRow, d) : d);
  }
  return [...days.values()];
};
const alerts = (events: RecordedAccountEvent[]) => {
  const states = new Map<string, ReturnType<typeof noBurst>>();
  const raised = new Map<string, Alert>();
  for (const e of events) {
    const step = alertStep(states.get(e.streamId) ?? noBurst(), e);
    states.set(e.streamId, step.state);
    for (const a of step.alerts) raised.set(a.alertId, a);
  }
  return [...raised.values()];
};

const opened = { type: 'AccountOpened', data: { owner: 'ada', currency: 'EUR' } } as const;
const deposit = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } }) as const;
const withdraw = (amount: number) => ({ type: 'MoneyWithdrawn', data: { amount } }) as const;
const leg = {
  debit: { type: 'TransferDebited', data: { transferId: 't1', to: 'b', amount: 30 } },
  credit: { type: 'TransferCredited', data: { transferId: 't1', from: 'a', amount: 30 } },
  refund: { type: 'TransferRefunded', data: { transferId: 't1', amount: 30 } },
} as const;

describe('balances', () => {
  it('follows deposits, withdrawals, transfer legs and closing, with the version and position', () => {
    const events = given([
      { account: 'a', event: opened },
      { account: 'a', event: deposit(100) },
      { account: 'b', event: { ...opened, data: { owner: 'bob', currency: 'USD' } } },
      { account: 'a', event: leg.debit },
      { account: 'b', event: leg.credit },
      { account: 'a', event: withdraw(70) },
      { account: 'a', event: { type: 'AccountClosed', data: {} } },
    ]);
    const rows = balances(events);
    expect(rows.get('account-a')).toMatchObject({ accountId: 'a', balance: 0, status: 'closed', version: 5 });
    expect(rows.get('account-a')?.position).toBe(7);
    expect(rows.get('account-b')).toMatchObject({ owner: 'bob', currency: 'USD', balance: 30, version: 2 });
  });

  it('equals the decider’s balance for any sequence of commands (money is conserved)', () => {
    const command = fc.oneof(
      fc.record({
        type: fc.constant('Deposit' as const),
        data: fc.record({ amount: fc.integer({ min: 1, max: 500 }) }),
      }),
      fc.record({
        type: fc.constant('Withdraw' as const),
        data: fc.record({ amount: fc.integer({ min: 1, max: 500 }) }),
      }),
      fc.constant({ type: 'CloseAccount' as const, data: {} }),
      fc.record({
        type: fc.constant('DebitTransfer' as const),
        data: fc.record({
          transferId: fc.constantFrom('t1', 't2'),
          to: fc.constant('b'),
          amount: fc.integer({ min: 1, max: 500 }),
        }),
      }),
      fc.record({
        type: fc.constant('RefundTransfer' as const),
        data: fc.record({
          transferId: fc.constantFrom('t1', 't2'),
          amount: fc.integer({ min: 1, max: 500 }),
        }),
      }),
    );
    fc.assert(
      fc.property(fc.array(command as fc.Arbitrary<AccountCommand>, { maxLength: 40 }), (commands) => {
        let state = fold(account, account.initialState(), [opened]);
        const emitted: AccountEvent[] = [opened];
        for (const c of commands) {
          try {
            const decided = [account.decide(c, state)].flat();
            emitted.push(...decided);
            state = fold(account, state, decided);
          } catch (error) {
            if (!(error instanceof AccountError)) throw error;
          }
        }
        const events = given(emitted.map((event) => ({ account: 'a', event })));
        expect(balances(events).get('account-a')?.balance).toBe(state.balance);
        expect(state.balance).toBeGreaterThanOrEqual(0);
        expect(history(events).at(-1)?.balanceAfter).toBe(state.balance);
      }),
    );
  });
});

describe('history', () => {
  it('records each event with its amount, the balance it left, its actor, time and correlation id', () => {
    const events = given([
      { account: 'a', event: opened },
      { account: 'a', event: deposit(100), actor: 'teller', at: 5 },
      { account: 'a', event: leg.debit },
      { account: 'a', event: leg.refund },
    ]);
    expect(history(events).map((h) => [h.type, h.amount, h.balanceAfter, h.actor, h.transferId])).toEqual([
      ['AccountOpened', null, 0, 'will', null],
      ['MoneyDeposited', 100, 100, 'teller', null],
      ['TransferDebited', 30, 70, 'will', 't1'],
      ['TransferRefunded', 30, 100, 'will', 't1'],
    ]);
    expect(history(events)[1]).toMatchObject({
      eventId: 'e2',
      position: 2,
      version: 2,
      at: '2026-03-01T23:59:00.005Z',
      correlationId: 'c2',
    });
  });
});

describe('daily activity', () => {
  it('counts by UTC day, and a transfer once, on its credit', () => {
    const events = given([
      { account: 'a', event: opened },
      { account: 'a', event: deposit(100) },
      { account: 'a', event: withdraw(10), at: 59_999 },
      { account: 'a', event: leg.debit, at: 60_000 },
      { account: 'b', event: opened },
      { account: 'b', event: leg.credit, at: 60_001 },
      { account: 'a', event: leg.refund, at: 60_002 },
    ]);
    expect(daily(events)).toEqual([
      {
        day: '2026-03-01',
        depositCount: 1,
        depositTotal: 100,
        withdrawalCount: 1,
        withdrawalTotal: 10,
        transferCount: 0,
        transferTotal: 0,
      },
      {
        day: '2026-03-02',
        depositCount: 0,
        depositTotal: 0,
        withdrawalCount: 0,
        withdrawalTotal: 0,
        transferCount: 1,
        transferTotal: 30,
      },
    ]);
  });
});

describe('alerts', () => {
  it('raise one on a withdrawal or transfer debit of at least 1,000,000', () => {
    const big = { type: 'TransferDebited', data: { transferId: 't9', to: 'b', amount: 1_000_000 } } as const;
    const raised = alerts(
      given([
        { account: 'a', event: withdraw(999_999) },
        { account: 'a', event: withdraw(1_000_000) },
        { account: 'a', event: big, at: 120_000 },
      ]),
    );
    expect(raised.map((a) => [a.alertId, a.rule, a.eventIds])).toEqual([
      ['large-withdrawal:e2', 'large-withdrawal', ['e2']],
      ['large-withdrawal:e3', 'large-withdrawal', ['e3']],
    ]);
  });

  it('raise one per burst of 5 or more withdrawals within 60 s, listing them all', () => {
    const at = [0, 10_000, 20_000, 30_000, 60_000, 61_000, 200_000, 201_000, 202_000, 203_000, 204_000];
    const raised = alerts(given(at.map((t) => ({ account: 'a', event: withdraw(1), at: t }))));
    expect(raised.map((a) => [a.alertId, a.eventIds])).toEqual([
      ['withdrawal-burst:e1', ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']],
      ['withdrawal-burst:e7', ['e7', 'e8', 'e9', 'e10', 'e11']],
    ]);
    expect(raised[0]).toMatchObject({ accountId: 'a', at: new Date(t0 + 60_000).toISOString(), position: 5 });
  });

  it('raise none for 4 withdrawals a minute, bursts of other accounts, or 5 spread over more than 60 s', () => {
    const slow = [0, 15_000, 30_000, 45_000, 60_001].map((t) => ({
      account: 'a',
      event: withdraw(1),
      at: t,
    }));
    const split = [0, 1, 2, 3, 4].map((t) => ({ account: t % 2 ? 'a' : 'b', event: withdraw(1), at: t }));
    expect(alerts(given([...slow]))).toEqual([]);
    expect(alerts(given(split))).toEqual([]);
  });

  it('are the same on a replay: ids come from the events', () => {
    const events = given(
      [0, 1, 2, 3, 4, 5].map((t) => ({ account: 'a', event: withdraw(2_000_000), at: t })),
    );
    expect(alerts(events)).toEqual(alerts(events));
    expect(alerts(events)).toHaveLength(7);
  });
});
