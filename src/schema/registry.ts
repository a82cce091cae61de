import type * as z from 'zod/v4/core';
import type { Message } from '../decider/decider.js';
import { InvalidInputError } from '../events/errors.js';
import type { RecordedEvent } from '../events/event.js';
import type { EventDefinition } from './define-event.js';

/**
 * The event types an application knows, by name. Made by `createEventRegistry`; `withRegistry` and `upcast`
 * use it to check appends and to bring stored events to their current shape.
 *
 * @example
 * const registry: EventRegistry = createEventRegistry([MoneyDeposited, MoneyWithdrawn]);
 * registry.get('MoneyDeposited')?.version; // 3
 */
export interface EventRegistry<Definition extends EventDefinition = EventDefinition> {
  readonly definitions: readonly Definition[];
  /** The definition of a type, or undefined when the registry does not know it. */
  get(type: string): Definition | undefined;
}

/**
 * Gathers event definitions; two definitions of one type are refused.
 *
 * @example
 * const registry = createEventRegistry([MoneyDeposited, MoneyWithdrawn]);
 * type BankEvent = RegisteredEvent<typeof registry>;
 */
export function createEventRegistry<const Definitions extends readonly EventDefinition[]>(
  definitions: Definitions,
): EventRegistry<Definitions[number]> {
  const byType = new Map<string, Definitions[number]>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) {
      throw new InvalidInputError(
        'InvalidArgument',
        'createEventRegistry',
        `event type ${definition.type} is defined twice`,
      );
    }
    byType.set(definition.type, definition);
  }
  return { definitions: [...definitions], get: (type) => byType.get(type) };
}

type DefinitionOf<R> = R extends EventRegistry<infer D> ? D : never;

type MessageOf<D> =
  D extends EventDefinition<infer Type, number, infer Schema> ? Message<Type, z.output<Schema>> : never;

type RecordedOf<D> =
  D extends EventDefinition<infer Type, number, infer Schema> ? RecordedEvent<Type, z.output<Schema>> : never;

/**
 * The type names a registry knows.
 *
 * @example
 * type BankEventType = RegisteredType<typeof registry>; // 'MoneyDeposited' | 'AccountOpened'
 */
export type RegisteredType<R> = DefinitionOf<R>['type'];

/**
 * The union of a registry's events in their current shape, `{ type, data }`, ready to type a decider;
 * narrowed to some types by the second argument.
 *
 * @example
 * type BankEvent = RegisteredEvent<typeof registry>; // { type: 'MoneyDeposited'; data: {...} } | ...
 * type Deposit = RegisteredEvent<typeof registry, 'MoneyDeposited'>;
 */
export type RegisteredEvent<R, Type extends RegisteredType<R> = RegisteredType<R>> = Extract<
  MessageOf<DefinitionOf<R>>,
  { type: Type }
>;

/**
 * A registry's events as read from a store: current shape, with their place in the log. What `upcast` returns.
 *
 * @example
 * const event: RegisteredRecordedEvent<typeof registry> = upcast(registry, stored);
 * if (event.type === 'MoneyDeposited') console.log(event.data.amount.value);
 */
export type RegisteredRecordedEvent<R, Type extends RegisteredType<R> = RegisteredType<R>> = Extract<
  RecordedOf<DefinitionOf<R>>,
  { type: Type }
>;
