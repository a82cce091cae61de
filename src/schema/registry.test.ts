import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Decider } from '../decider/decider.js';
import { isHindsightError } from '../events/errors.js';
import { defineEvent } from './define-event.js';
import {
  createEventRegistry,
  type RegisteredEvent,
  type RegisteredRecordedEvent,
  type RegisteredType,
} from './registry.js';

const opened = defineEvent('AccountOpened', { version: 1, schema: z.object({ owner: z.string() }) });
const deposited = defineEvent('MoneyDeposited', {
  version: 2,
  schema: z.object({ amountCents: z.number().int() }),
  upcast: { 1: (v1: { amount: number }) => ({ amountCents: Math.round(v1.amount * 100) }) },
});
const registry = createEventRegistry([opened, deposited]);

describe('createEventRegistry', () => {
  it('finds each definition by its type', () => {
    expect(registry.get('AccountOpened')).toBe(opened);
    expect(registry.get('MoneyDeposited')).toBe(deposited);
    expect(registry.get('MoneyWithdrawn')).toBeUndefined();
    expect(registry.definitions.map((d) => d.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  it('refuses two definitions of one type', () => {
    try {
      createEventRegistry([opened, deposited, opened]);
      expect.unreachable();
    } catch (error) {
      expect(isHindsightError(error, 'InvalidArgument')).toBe(true);
      expect(String(error)).toMatch(/event type AccountOpened is defined twice/);
    }
  });

  it('gives the union of current events, to type a decider with', () => {
    type BankEvent = RegisteredEvent<typeof registry>;
    expectTypeOf<BankEvent>().toEqualTypeOf<
      | { type: 'AccountOpened'; data: { owner: string } }
      | { type: 'MoneyDeposited'; data: { amountCents: number } }
    >();
    expectTypeOf<RegisteredEvent<typeof registry, 'MoneyDeposited'>>().toEqualTypeOf<{
      type: 'MoneyDeposited';
      data: { amountCents: number };
    }>();
    expectTypeOf<RegisteredType<typeof registry>>().toEqualTypeOf<'AccountOpened' | 'MoneyDeposited'>();
    expectTypeOf<RegisteredRecordedEvent<typeof registry, 'AccountOpened'>['data']>().toEqualTypeOf<{
      owner: string;
    }>();

    const balance: Decider<{ type: 'Noop'; data: null }, BankEvent, number> = {
      initialState: () => 0,
      evolve: (state, event) => (event.type === 'MoneyDeposited' ? state + event.data.amountCents : state),
      // @ts-expect-error the registry has no MoneyWithdrawn
      decide: () => [{ type: 'MoneyWithdrawn', data: { amountCents: 1 } }],
    };
    expect(balance.evolve(0, { type: 'MoneyDeposited', data: { amountCents: 5 } })).toBe(5);
  });
});
