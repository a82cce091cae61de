import { InvalidInputError } from '../events/errors.js';
import type { NewEvent } from '../events/event.js';
import { fieldName, parseWith } from './issues.js';
import type { EventRegistry } from './registry.js';

/**
 * What `withRegistry` may be told.
 *
 * @example
 * const store = withRegistry(inner, registry, { allowUnknownTypes: true } satisfies RegistryOptions);
 */
export interface RegistryOptions {
  /** Let events of types the registry does not know pass unchecked, both ways; by default they are refused. */
  allowUnknownTypes?: boolean;
}

/**
 * Checks each event of one append against its type's current schema and returns the events to store: data as
 * the schema returns it, `schemaVersion` set to the current version. Throws `InvalidEvent` at the first event at
 * fault, so a caller that checks every append before writing stores nothing when one is wrong.
 */
export function checkAppend(
  registry: EventRegistry,
  streamId: string,
  events: readonly NewEvent<string, unknown>[],
  options: RegistryOptions,
): NewEvent<string, unknown>[] {
  const where = `stream ${JSON.stringify(streamId)}`;
  if (!Array.isArray(events)) throw new InvalidInputError('InvalidEvent', where, 'events must be an array');
  return events.map((event, index) => checkEvent(registry, streamId, event, index, options));
}

function checkEvent(
  registry: EventRegistry,
  streamId: string,
  event: NewEvent<string, unknown> | undefined,
  index: number,
  options: RegistryOptions,
): NewEvent<string, unknown> {
  const where = `stream ${JSON.stringify(streamId)}, event ${index}`;
  if (typeof event !== 'object' || event === null) {
    throw new InvalidInputError('InvalidEvent', where, 'must be an object { type, data, metadata?, id? }');
  }
  const at = `${where} (${String(event.type)})`;
  const definition = registry.get(event.type);
  if (!definition) {
    if (options.allowUnknownTypes) return event;
    throw new InvalidInputError('InvalidEvent', `${at}, field type`, unknownType(registry, event.type));
  }
  if (event.schemaVersion !== undefined && event.schemaVersion !== definition.version) {
    throw new InvalidInputError(
      'InvalidEvent',
      `${at}, field schemaVersion`,
      `is ${event.schemaVersion}, but ${event.type} is appended at its current version ${definition.version} only`,
    );
  }
  const parsed = parseWith(definition.schema, event.data);
  if (!parsed.ok) {
    const [first, ...more] = parsed.issues;
    const rest = more.map((issue) => `; ${fieldName(issue.path)}: ${issue.message}`).join('');
    throw new InvalidInputError(
      'InvalidEvent',
      `${at}, field ${fieldName(first?.path ?? [])}`,
      `${first?.message ?? 'does not match its schema'}${rest}`,
      { streamId, index, type: event.type, issues: parsed.issues },
    );
  }
  return { ...event, data: parsed.data, schemaVersion: definition.version };
}

function unknownType(registry: EventRegistry, type: unknown): string {
  const known = registry.definitions.map((d) => d.type);
  const list = known.length > 10 ? `${known.slice(0, 10).join(', ')}, …` : known.join(', ');
  return `unknown event type ${JSON.stringify(type)}; the registry knows ${list || 'no types'}`;
}
