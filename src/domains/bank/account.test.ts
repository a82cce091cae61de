import { fold } from 'hindsight';
import { deciderSpec } from 'hindsight/testing';
import { describe, expect, it } from 'vitest';
import { AccountError, type AccountEvent, account, maxBalance } from './account.js';

const spec = deciderSpec(account);
const opened = { type: 'AccountOpened', data: { owner: 'ada', currency: 'EUR' } } as const;

describe('account', () => {
  it('opens once', () => {
    spec
      .given([])
      .when({ type: 'OpenAccount', data: { owner: 'ada', currency: 'EUR' } })
      .then([opened]);
    spec
      .given([opened])
      .when({ type: 'OpenAccount', data: { owner: 'bob', currency: 'EUR' } })
      .thenThrows('AccountExists');
  });

  it('takes deposits in positive integer minor units only', () => {
    spec
      .given([opened])
      .when({ type: 'Deposit', data: { amount: 250 } })
      .then({ type: 'MoneyDeposited', data: { amount: 250 } });
    for (const amount of [0, -1, 1.5, Number.NaN, 1e13]) {
      spec.given([opened]).when({ type: 'Deposit', data: { amount } }).thenThrows('InvalidAmount');
    }
  });

  it('never goes below zero', () => {
    const funded = [opened, { type: 'MoneyDeposited', data: { amount: 100 } } as const];
    spec
      .given(funded)
      .when({ type: 'Withdraw', data: { amount: 100 } })
      .then([{ type: 'MoneyWithdrawn', data: { amount: 100 } }]);
    spec
      .given(funded)
      .when({ type: 'Withdraw', data: { amount: 101 } })
      .thenThrows(AccountError);
  });

  it('closes only when empty, and then refuses everything', () => {
    const funded = [opened, { type: 'MoneyDeposited', data: { amount: 1 } } as const];
    spec.given(funded).when({ type: 'CloseAccount', data: {} }).thenThrows('AccountNotEmpty');
    spec
      .given([opened])
      .when({ type: 'CloseAccount', data: {} })
      .then([{ type: 'AccountClosed', data: {} }]);
    const closed = [opened, { type: 'AccountClosed', data: {} } as const];
    spec
      .given(closed)
      .when({ type: 'Deposit', data: { amount: 1 } })
      .thenThrows('AccountClosed');
  });

  it('needs an account to exist', () => {
    spec
      .given([])
      .when({ type: 'Withdraw', data: { amount: 1 } })
      .thenThrows((e) => e instanceof AccountError);
  });
});

describe('account transfer legs', () => {
  const funded = [opened, { type: 'MoneyDeposited', data: { amount: 100 } } as const];
  const debit = { transferId: 't-1', to: 'bob', amount: 60 };
  const debited = [...funded, { type: 'TransferDebited', data: debit } as const];

  it('debits like a withdrawal: an open account with enough money', () => {
    spec
      .given(funded)
      .when({ type: 'DebitTransfer', data: debit })
      .then({ type: 'TransferDebited', data: debit });
    spec
      .given(funded)
      .when({ type: 'DebitTransfer', data: { ...debit, amount: 101 } })
      .thenThrows('InsufficientFunds');
    spec
      .given(funded)
      .when({ type: 'DebitTransfer', data: { ...debit, amount: 0 } })
      .thenThrows('InvalidAmount');
    spec.given([]).when({ type: 'DebitTransfer', data: debit }).thenThrows('AccountNotFound');
    spec
      .given([opened, { type: 'AccountClosed', data: {} }])
      .when({ type: 'DebitTransfer', data: debit })
      .thenThrows('AccountClosed');
  });

  it('treats a repeated leg as done, and the same id with other data as a mismatch', () => {
    spec.given(debited).when({ type: 'DebitTransfer', data: debit }).then([]);
    spec
      .given(debited)
      .when({ type: 'DebitTransfer', data: { ...debit, amount: 1 } })
      .thenThrows('TransferMismatch');
    const credit = { transferId: 't-2', from: 'bob', amount: 5 };
    const credited = [...funded, { type: 'TransferCredited', data: credit } as const];
    spec.given(credited).when({ type: 'CreditTransfer', data: credit }).then([]);
    spec
      .given(credited)
      .when({ type: 'CreditTransfer', data: { ...credit, from: 'eve' } })
      .thenThrows('TransferMismatch');
  });

  it('credits an open account only', () => {
    const credit = { transferId: 't-2', from: 'bob', amount: 5 };
    spec
      .given([opened])
      .when({ type: 'CreditTransfer', data: credit })
      .then({ type: 'TransferCredited', data: credit });
    spec.given([]).when({ type: 'CreditTransfer', data: credit }).thenThrows('AccountNotFound');
    spec
      .given([opened, { type: 'AccountClosed', data: {} }])
      .when({ type: 'CreditTransfer', data: credit })
      .thenThrows('AccountClosed');
  });

  it('refunds a debit that happened, once, even on a closed account', () => {
    const refund = { transferId: 't-1', amount: 60 };
    spec
      .given(debited)
      .when({ type: 'RefundTransfer', data: refund })
      .then({ type: 'TransferRefunded', data: refund });
    const emptiedAndClosed: AccountEvent[] = [
      ...debited,
      { type: 'MoneyWithdrawn', data: { amount: 40 } } as const,
      { type: 'AccountClosed', data: {} } as const,
    ];
    spec
      .given(emptiedAndClosed)
      .when({ type: 'RefundTransfer', data: refund })
      .then({ type: 'TransferRefunded', data: refund });
    const refunded = [...debited, { type: 'TransferRefunded', data: refund } as const];
    spec.given(refunded).when({ type: 'RefundTransfer', data: refund }).then([]);
    expect(fold(account, account.initialState(), refunded).balance).toBe(100);
  });

  it('refuses a refund with no matching debit', () => {
    for (const transferId of ['constructor', '__proto__', 'toString']) {
      spec
        .given(funded)
        .when({ type: 'RefundTransfer', data: { transferId, amount: 1 } })
        .thenThrows('TransferMismatch');
      const odd = { transferId, to: 'bob', amount: 1 };
      spec
        .given(funded)
        .when({ type: 'DebitTransfer', data: odd })
        .then({ type: 'TransferDebited', data: odd });
    }
    spec
      .given(debited)
      .when({ type: 'RefundTransfer', data: { transferId: 't-1', amount: 59 } })
      .thenThrows('TransferMismatch');
    spec
      .given(funded)
      .when({ type: 'RefundTransfer', data: { transferId: 't-9', amount: 1 } })
      .thenThrows('TransferMismatch');
  });

  it('keeps balances exact: deposits past the balance limit are refused', () => {
    const full = [opened, { type: 'MoneyDeposited', data: { amount: maxBalance } } as const];
    spec
      .given(full)
      .when({ type: 'Deposit', data: { amount: 1 } })
      .thenThrows('BalanceLimitExceeded');
  });
});
