import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { isHindsightError, UpcastError } from '../events/errors.js';
import type { RecordedEvent } from '../events/event.js';
import { defineEvent } from './define-event.js';
import { createEventRegistry } from './registry.js';
import { upcast } from './upcast.js';

const deposited = defineEvent('MoneyDeposited', {
  version: 3,
  schema: z.object({ amount: z.object({ value: z.number().int(), currency: z.string().length(3) }) }),
  upcast: {
    1: {
      schema: z.object({ amount: z.number() }),
      upcast: (v1) => ({ amountCents: Math.round(v1.amount * 100) }),
    },
    2: (v2: { amountCents: number }) => ({ amount: { value: v2.amountCents, currency: 'USD' } }),
  },
});
const registry = createEventRegistry([deposited]);

function stored(
  schemaVersion: number,
  data: unknown,
  type = 'MoneyDeposited',
): RecordedEvent<string, unknown> {
  return {
    id: 'e-1',
    streamId: 'account-1',
    streamVersion: 4,
    position: 17,
    type,
    schemaVersion,
    data,
    metadata: { actor: 'ada' },
    recordedAt: new Date('2026-01-02T03:04:05Z'),
  };
}

function upcastError(event: RecordedEvent<string, unknown>): UpcastError {
  try {
    upcast(registry, event);
  } catch (error) {
    if (error instanceof UpcastError) return error;
    throw error;
  }
  throw new Error('expected upcast to fail');
}

describe('upcast', () => {
  it('brings every version to the current shape and version, keeping the rest of the event', () => {
    const expected = { amount: { value: 1234, currency: 'USD' } };
    for (const event of [
      stored(1, { amount: 12.34 }),
      stored(2, { amountCents: 1234 }),
      stored(3, { amount: { value: 1234, currency: 'USD' } }),
    ]) {
      const current = upcast(registry, event);
      expect(current).toEqual({ ...event, schemaVersion: 3, data: expected });
    }
  });

  it('returns the registry typed event', () => {
    const event = upcast(registry, stored(1, { amount: 1 }));
    expectTypeOf(event.data).toEqualTypeOf<{ amount: { value: number; currency: string } }>();
    expectTypeOf(event.type).toEqualTypeOf<'MoneyDeposited'>();
  });

  it('leaves the stored event as it was', () => {
    const event = stored(1, { amount: 12.34 });
    const copy = structuredClone(event);
    upcast(registry, event);
    expect(event).toEqual(copy);
  });

  it('rounds dollars to the nearest cent, not down', () => {
    const cents = (amount: number) => upcast(registry, stored(1, { amount })).data.amount.value;
    expect(cents(0.1 + 0.2)).toBe(30); // 30.000000000000004 before rounding
    expect(cents(19.99)).toBe(1999); // 1998.9999999999998: truncating would lose a cent
    // 1.005 is stored as 1.00499999999999989…, so it is below the half cent and rounds to 100.
    expect(cents(1.005)).toBe(100);
    expect(cents(-19.99)).toBe(-1999);
  });

  it('turns any whole number of cents written as a float of dollars back into exactly that many cents', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 20 }), (parts) => {
        // A v1 writer may have added floats before storing them; the drift stays far below half a cent.
        const dollars = parts.reduce((sum, cents) => sum + cents / 100, 0);
        const total = parts.reduce((sum, cents) => sum + cents, 0);
        expect(upcast(registry, stored(1, { amount: dollars })).data.amount.value).toBe(total);
      }),
    );
  });

  it('names the event and says what failed when it cannot', () => {
    const cases: [RecordedEvent<string, unknown>, RegExp][] = [
      [stored(1, {}, 'MoneyLost'), /the registry knows no event type MoneyLost/],
      [stored(4, {}), /MoneyDeposited is only known up to version 3 here/],
      [stored(0, {}), /schema version 0 is not a positive integer/],
      [
        stored(1, { amount: 'twelve' }),
        /does not match the version 1 schema: data\.amount: .*expected number/,
      ],
      [
        stored(2, {}),
        /after upcasting from version 2, .*current \(version 3\) schema: data\.amount\.value: /,
      ],
      [
        stored(3, { amount: { value: 1, currency: 'DOLLARS' } }),
        /current \(version 3\) schema: data\.amount\.currency/,
      ],
    ];
    for (const [event, problem] of cases) {
      const error = upcastError(event);
      expect(isHindsightError(error, 'UpcastFailed')).toBe(true);
      expect(error.message).toMatch(
        /^event at position 17 \(stream "account-1", version 4, Money\w+ v\d\): /,
      );
      expect(error.problem).toMatch(problem);
      expect(error.event).toMatchObject({ id: 'e-1', position: 17, streamId: 'account-1', streamVersion: 4 });
    }
  });

  it('names the step whose upcaster threw, and keeps the cause', () => {
    const cause = new Error('no rate for 1999');
    const fragile = defineEvent('PriceSet', {
      version: 2,
      schema: z.object({ price: z.number() }),
      upcast: {
        1: (_: unknown): { price: number } => {
          throw cause;
        },
      },
    });
    try {
      upcast(createEventRegistry([fragile]), stored(1, {}, 'PriceSet'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UpcastError);
      expect((error as UpcastError).problem).toBe('the upcaster from version 1 to 2 threw: no rate for 1999');
      expect((error as UpcastError).cause).toBe(cause);
    }
  });
});
