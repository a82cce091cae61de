import { deciderSpec } from 'hindsight/testing';
import { describe, it } from 'vitest';
import { AccountError, account } from './account.js';

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
