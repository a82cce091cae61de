import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import * as mini from 'zod/mini';
import { isHindsightError } from '../events/errors.js';
import { defineEvent } from './define-event.js';
import { createEventRegistry } from './registry.js';
import { upcast } from './upcast.js';

const current = z.object({ amount: z.object({ value: z.number().int(), currency: z.string() }) });
const v1 = z.object({ amount: z.number() });
const v2 = z.object({ amountCents: z.number().int() });

function refusal(define: () => unknown): string {
  try {
    define();
  } catch (error) {
    if (isHindsightError(error, 'InvalidArgument')) return error.message;
    throw error;
  }
  throw new Error('expected defineEvent to refuse');
}

describe('defineEvent', () => {
  it('keeps the type, version, schema and one upcaster per older version', () => {
    const deposited = defineEvent('MoneyDeposited', {
      version: 3,
      schema: current,
      upcast: {
        1: (data: { amount: number }) => ({ amountCents: Math.round(data.amount * 100) }),
        2: { schema: v2, upcast: (data) => ({ amount: { value: data.amountCents, currency: 'USD' } }) },
      },
    });
    expect(deposited.type).toBe('MoneyDeposited');
    expect(deposited.version).toBe(3);
    expect(deposited.schema).toBe(current);
    expect([...deposited.upcasters.keys()]).toEqual([1, 2]);
    expect(deposited.upcasters.get(1)?.schema).toBeUndefined();
    expect(deposited.upcasters.get(2)?.schema).toBe(v2);
    expect(deposited.upcasters.get(2)?.upcast({ amountCents: 5 })).toEqual({
      amount: { value: 5, currency: 'USD' },
    });
    expectTypeOf(deposited.type).toEqualTypeOf<'MoneyDeposited'>();
    expectTypeOf(deposited.version).toEqualTypeOf<3>();
  });

  it('needs no upcasters at version 1', () => {
    const opened = defineEvent('AccountOpened', { version: 1, schema: z.object({ owner: z.string() }) });
    expect(opened.upcasters.size).toBe(0);
  });

  it('types each upcaster from the schema of the version it starts from', () => {
    defineEvent('MoneyDeposited', {
      version: 3,
      schema: current,
      upcast: {
        1: {
          schema: v1,
          upcast: (data) => {
            expectTypeOf(data).toEqualTypeOf<{ amount: number }>();
            return { amountCents: Math.round(data.amount * 100) };
          },
        },
        2: {
          schema: v2,
          upcast: (data) => {
            expectTypeOf(data).toEqualTypeOf<{ amountCents: number }>();
            return { amount: { value: data.amountCents, currency: 'USD' } };
          },
        },
      },
    });
  });

  it('does not compile when a step returns what the next does not take, or the last what the schema refuses', () => {
    // Each @ts-expect-error is checked by `npm run typecheck`: remove one and the compiler must complain.
    const broken = () => [
      defineEvent('MoneyDeposited', {
        version: 3,
        schema: current,
        upcast: {
          // @ts-expect-error version 2 has amountCents, not cents
          1: { schema: v1, upcast: (data) => ({ cents: data.amount * 100 }) },
          2: { schema: v2, upcast: (data) => ({ amount: { value: data.amountCents, currency: 'USD' } }) },
        },
      }),
      defineEvent('MoneyDeposited', {
        version: 3,
        schema: current,
        upcast: {
          1: { schema: v1, upcast: (data) => ({ amountCents: data.amount * 100 }) },
          // @ts-expect-error the current schema needs a currency
          2: { schema: v2, upcast: (data) => ({ amount: { value: data.amountCents } }) },
        },
      }),
      defineEvent('MoneyDeposited', {
        version: 3,
        schema: current,
        upcast: {
          // @ts-expect-error without an upcaster from version 1, nothing says what version 2 looks like
          2: (data: { amountCents: number }) => ({ amount: { value: data.amountCents, currency: 'USD' } }),
        },
      }),
      // @ts-expect-error version 2 needs an upcaster from version 1
      defineEvent('MoneyDeposited', { version: 2, schema: v2 }),
    ];
    expect(typeof broken).toBe('function');
  });

  it('refuses at run time what the types refuse, for callers without them', () => {
    const loose = defineEvent as (type: string, config: unknown) => unknown;
    expect(refusal(() => loose('', { version: 1, schema: current }))).toMatch(/non-empty string/);
    expect(refusal(() => loose('A', { version: 0, schema: current }))).toMatch(/version: must be a positive/);
    expect(refusal(() => loose('A', { version: 1.5, schema: current }))).toMatch(/positive integer/);
    expect(refusal(() => loose('A', { version: 1, schema: { parse() {} } }))).toMatch(/must be a zod schema/);
    expect(
      refusal(() => loose('A', { version: 3, schema: current, upcast: { 1: (d: unknown) => d } })),
    ).toMatch(/no upcaster from version 2 to 3; each version bump adds one/);
    expect(
      refusal(() =>
        loose('A', { version: 2, schema: current, upcast: { 1: (d: unknown) => d, 2: (d: unknown) => d } }),
      ),
    ).toMatch(/upcast 2: an upcaster starts from an older version: 1 to 1/);
    expect(refusal(() => loose('A', { version: 2, schema: current, upcast: { 1: 'nope' } }))).toMatch(
      /must be a function or \{ schema, upcast \}/,
    );
    expect(
      refusal(() =>
        loose('A', { version: 2, schema: current, upcast: { 1: { schema: 5, upcast: () => 1 } } }),
      ),
    ).toMatch(/upcast 1, schema: must be a zod schema/);
  });
});

describe('defineEvent with zod/mini', () => {
  it('takes schemas built with the smaller zod/mini as well', () => {
    const tagged = defineEvent('Tagged', {
      version: 2,
      schema: mini.object({ tags: mini.array(mini.string()) }),
      upcast: { 1: { schema: mini.object({ tag: mini.string() }), upcast: (v1) => ({ tags: [v1.tag] }) } },
    });
    const event = upcast(createEventRegistry([tagged]), {
      id: 'e-1',
      streamId: 's',
      streamVersion: 1,
      position: 1,
      type: 'Tagged',
      schemaVersion: 1,
      data: { tag: 'red' },
      metadata: {},
      recordedAt: new Date(0),
    });
    expect(event.data).toEqual({ tags: ['red'] });
  });
});
