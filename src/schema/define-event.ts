import type * as z from 'zod/v4/core';
import { InvalidInputError } from '../events/errors.js';
import type { NextVersion, OlderVersions, ShapeAt, VersionKey } from './versions.js';

/**
 * A zod schema (classic `zod` or `zod/mini`): what an event's data must look like.
 *
 * @example
 * const schema: EventSchema = z.object({ owner: z.string() });
 */
export type EventSchema = z.$ZodType;

/** How data of one version becomes data of the next: a pure function, with the older version's schema if known. */
export interface Upcaster {
  /** When given, stored data of this version is checked against it before it is upcast. */
  readonly schema?: EventSchema;
  readonly upcast: (data: unknown) => unknown;
}

/**
 * One event type: its name, the current version of its data's shape, the schema of that shape, and an upcaster
 * from each older version to the next. Made by `defineEvent`, gathered by `createEventRegistry`.
 *
 * @example
 * const opened: EventDefinition<'AccountOpened', 1> = defineEvent('AccountOpened', { version: 1, schema: z.object({ owner: z.string() }) });
 */
export interface EventDefinition<
  Type extends string = string,
  Version extends number = number,
  Schema extends EventSchema = EventSchema,
> {
  readonly type: Type;
  readonly version: Version;
  readonly schema: Schema;
  /** By the version they start from: `upcasters.get(1)` turns version 1 data into version 2. */
  readonly upcasters: ReadonlyMap<number, Upcaster>;
}

/**
 * One step of the chain as written: a function, or the older version's schema together with the function.
 *
 * @example
 * const fromV1: UpcastStep<{ amount: number }, { amountCents: number }> = (v1) => ({ amountCents: Math.round(v1.amount * 100) });
 */
export type UpcastStep<From, To> =
  | ((data: From) => To)
  | { schema: z.$ZodType<From>; upcast: (data: From) => To };

/**
 * The steps from every older version to the next, keyed by the version they start from. Each step must return
 * what the next one takes, and the last one what the current schema accepts.
 */
export type UpcastSteps<Version extends number, Schema extends EventSchema, Shapes> = {
  [K in keyof Shapes]: UpcastStep<
    Shapes[K],
    NextVersion<VersionKey<K>> extends Version ? z.input<Schema> : ShapeAt<Shapes, NextVersion<VersionKey<K>>>
  >;
};

/** The second argument of `defineEvent`; `upcast` is required exactly when there are older versions. */
export type EventDefinitionConfig<
  Version extends number,
  Schema extends EventSchema,
  Shapes extends { [K in OlderVersions<Version>]: unknown },
> = { version: Version; schema: Schema } & ([OlderVersions<Version>] extends [never]
  ? { upcast?: Record<never, never> }
  : { upcast: UpcastSteps<Version, Schema, Shapes> });

/**
 * Defines an event type. Each upcaster's input is typed either by annotating its parameter or, in the
 * `{ schema, upcast }` form, by the older version's schema; the compiler checks that each step returns what the
 * next takes, and that the last returns what the current schema accepts.
 *
 * @example
 * const MoneyDeposited = defineEvent('MoneyDeposited', {
 *   version: 2,
 *   schema: z.object({ amountCents: z.number().int() }),
 *   upcast: { 1: (v1: { amount: number }) => ({ amountCents: Math.round(v1.amount * 100) }) },
 * });
 */
export function defineEvent<
  const Type extends string,
  const Version extends number,
  Schema extends EventSchema,
  Shapes extends { [K in OlderVersions<Version>]: unknown },
>(
  type: Type,
  config: EventDefinitionConfig<Version, Schema, Shapes>,
): EventDefinition<Type, Version, Schema> {
  const where = `defineEvent(${JSON.stringify(type)})`;
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidInputError(
      'InvalidArgument',
      'defineEvent',
      'the event type must be a non-empty string',
    );
  }
  const { version, schema } = config;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidInputError('InvalidArgument', `${where}, version`, 'must be a positive integer');
  }
  if (!isSchema(schema)) {
    throw new InvalidInputError('InvalidArgument', `${where}, schema`, 'must be a zod schema');
  }
  return { type, version, schema, upcasters: checkUpcasters(where, version, config.upcast ?? {}) };
}

// The types already demand this chain; checking again at run time catches plain JavaScript and casts.
function checkUpcasters(where: string, version: number, steps: object): Map<number, Upcaster> {
  const upcasters = new Map<number, Upcaster>();
  for (const [key, step] of Object.entries(steps) as [string, unknown][]) {
    const from = Number(key);
    if (!Number.isSafeInteger(from) || from < 1 || from >= version) {
      throw new InvalidInputError(
        'InvalidArgument',
        `${where}, upcast ${key}`,
        `an upcaster starts from an older version: 1 to ${version - 1}`,
      );
    }
    upcasters.set(from, toUpcaster(`${where}, upcast ${key}`, step));
  }
  for (let from = 1; from < version; from++) {
    if (!upcasters.has(from)) {
      throw new InvalidInputError(
        'InvalidArgument',
        `${where}, upcast`,
        `no upcaster from version ${from} to ${from + 1}; each version bump adds one`,
      );
    }
  }
  return upcasters;
}

function toUpcaster(where: string, step: unknown): Upcaster {
  if (typeof step === 'function') return { upcast: step as Upcaster['upcast'] };
  if (typeof step === 'object' && step !== null && 'upcast' in step && typeof step.upcast === 'function') {
    const schema = 'schema' in step ? step.schema : undefined;
    if (schema !== undefined && !isSchema(schema)) {
      throw new InvalidInputError('InvalidArgument', `${where}, schema`, 'must be a zod schema');
    }
    return { schema, upcast: step.upcast as Upcaster['upcast'] };
  }
  throw new InvalidInputError('InvalidArgument', where, 'must be a function or { schema, upcast }');
}

function isSchema(value: unknown): value is EventSchema {
  return typeof value === 'object' && value !== null && '_zod' in value;
}
