import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError } from '../events/errors.js';
import type { NewEvent } from '../events/event.js';
import { checkAppend, type RegistryOptions } from './check-append.js';
import { defineEvent } from './define-event.js';
import { createEventRegistry } from './registry.js';

const registry = createEventRegistry([
  defineEvent('MoneyDeposited', {
    version: 2,
    schema: z.object({
      amount: z.object({ value: z.number().int(), currency: z.string().length(3) }),
      note: z.string().default(''),
    }),
    upcast: {
      1: (v1: { amount: number }) => ({ amount: { value: Math.round(v1.amount * 100), currency: 'USD' } }),
    },
  }),
  defineEvent('AccountOpened', { version: 1, schema: z.object({ owner: z.string() }) }),
]);

const good = { type: 'MoneyDeposited', data: { amount: { value: 100, currency: 'EUR' } } };

function refusal(events: unknown, options: RegistryOptions = {}): InvalidInputError {
  try {
    checkAppend(registry, 'account-1', events as NewEvent<string, unknown>[], options);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected the append to be refused');
}

describe('checkAppend', () => {
  it('returns the data as the schema gives it, stamped with the current version', () => {
    const [event] = checkAppend(
      registry,
      'account-1',
      [{ ...good, id: 'e-1', metadata: { actor: 'ada' }, data: { ...good.data, extra: true } }],
      {},
    );
    expect(event).toEqual({
      type: 'MoneyDeposited',
      id: 'e-1',
      metadata: { actor: 'ada' },
      schemaVersion: 2,
      data: { amount: { value: 100, currency: 'EUR' }, note: '' },
    });
  });

  it('names the stream, the event, its type, the field and the problem', () => {
    const error = refusal([
      good,
      { type: 'MoneyDeposited', data: { amount: { value: 1.5, currency: 'EUR' } } },
    ]);
    expect(error.code).toBe('InvalidEvent');
    expect(error.message).toBe(
      'stream "account-1", event 1 (MoneyDeposited), field data.amount.value: Invalid input: expected int, received number',
    );
    expect(error.details).toEqual({
      streamId: 'account-1',
      index: 1,
      type: 'MoneyDeposited',
      issues: [{ path: ['amount', 'value'], message: 'Invalid input: expected int, received number' }],
    });
  });

  it('lists every problem of the event', () => {
    const error = refusal([{ type: 'MoneyDeposited', data: { amount: { value: 1.5, currency: 'EU' } } }]);
    expect(error.where).toBe('stream "account-1", event 0 (MoneyDeposited), field data.amount.value');
    expect(error.problem).toBe(
      'Invalid input: expected int, received number; data.amount.currency: Too small: expected string to have exactly 3 characters',
    );
    expect(error.details?.issues).toHaveLength(2);
  });

  it('names the data as a whole when it is not even an object', () => {
    expect(refusal([{ type: 'AccountOpened', data: 5 }]).message).toBe(
      'stream "account-1", event 0 (AccountOpened), field data: Invalid input: expected object, received number',
    );
  });

  it('refuses unknown types unless told to let them pass unchecked', () => {
    const unknown = { type: 'MoneyLost', data: { anything: 1 } };
    expect(refusal([good, unknown]).message).toBe(
      'stream "account-1", event 1 (MoneyLost), field type: unknown event type "MoneyLost"; the registry knows MoneyDeposited, AccountOpened',
    );
    const passed = checkAppend(registry, 'account-1', [unknown], { allowUnknownTypes: true });
    expect(passed).toEqual([unknown]);
  });

  it('refuses an event that claims another version than the current one', () => {
    const error = refusal([{ ...good, schemaVersion: 1 }]);
    expect(error.where).toBe('stream "account-1", event 0 (MoneyDeposited), field schemaVersion');
    expect(error.problem).toBe('is 1, but MoneyDeposited is appended at its current version 2 only');
    expect(checkAppend(registry, 'account-1', [{ ...good, schemaVersion: 2 }], {})[0]?.schemaVersion).toBe(2);
  });

  it('refuses what is not a list of events', () => {
    expect(refusal('nope').message).toBe('stream "account-1": events must be an array');
    expect(refusal([good, null]).message).toBe(
      'stream "account-1", event 1: must be an object { type, data, metadata?, id? }',
    );
  });
});
