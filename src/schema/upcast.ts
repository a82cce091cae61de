import { UpcastError } from '../events/errors.js';
import type { RecordedEvent } from '../events/event.js';
import type { EventDefinition } from './define-event.js';
import { describeIssues, parseWith } from './issues.js';
import type { EventRegistry, RegisteredRecordedEvent } from './registry.js';

/**
 * Brings a stored event to its type's current shape: checks its data against its version's schema (when the
 * definition has one), runs the upcasters from its version to the current one, and checks the result against the
 * current schema. Pure: the event passed in is not changed. Throws `UpcastError` naming the event when any step
 * fails, and for a type the registry does not know.
 *
 * @example
 * for await (const stored of rawStore.readStream('account-1')) {
 *   const event = upcast(registry, stored); // event.schemaVersion === the current version
 * }
 */
export function upcast<R extends EventRegistry>(
  registry: R,
  event: RecordedEvent<string, unknown>,
): RegisteredRecordedEvent<R> {
  const definition = registry.get(event.type);
  if (!definition) throw new UpcastError(event, `the registry knows no event type ${event.type}`);
  return upcastWith(definition, event) as RegisteredRecordedEvent<R>;
}

// `upcast` once the definition is found.
function upcastWith(
  definition: EventDefinition,
  event: RecordedEvent<string, unknown>,
): RecordedEvent<string, unknown> {
  const current = definition.version;
  const stored = event.schemaVersion;
  if (!Number.isSafeInteger(stored) || stored < 1) {
    throw new UpcastError(event, `its schema version ${stored} is not a positive integer`);
  }
  if (stored > current) {
    throw new UpcastError(
      event,
      `${event.type} is only known up to version ${current} here (was it written by a newer deployment?)`,
    );
  }
  try {
    let data = event.data;
    for (let version = stored; version < current; version++) {
      data = step(definition, version, data, event);
    }
    const parsed = parseWith(definition.schema, data);
    if (!parsed.ok) {
      const upcasted = stored < current ? `after upcasting from version ${stored}, ` : '';
      throw new UpcastError(
        event,
        `${upcasted}its data does not match the current (version ${current}) schema: ${describeIssues(parsed.issues)}`,
      );
    }
    return { ...event, schemaVersion: current, data: parsed.data };
  } catch (error) {
    if (error instanceof UpcastError) throw error;
    // A schema that throws (an async refinement, a bug in a transform) still gets the event named.
    throw new UpcastError(event, `could not be upcast: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function step(
  definition: EventDefinition,
  version: number,
  data: unknown,
  event: RecordedEvent<string, unknown>,
): unknown {
  // Present for every older version: defineEvent refuses a definition with a gap in its chain.
  const upcaster = definition.upcasters.get(version);
  if (!upcaster) throw new UpcastError(event, `no upcaster from version ${version} to ${version + 1}`);
  let input = data;
  if (upcaster.schema) {
    const parsed = parseWith(upcaster.schema, data);
    if (!parsed.ok) {
      throw new UpcastError(
        event,
        `its data does not match the version ${version} schema: ${describeIssues(parsed.issues)}`,
      );
    }
    input = parsed.data;
  }
  let output: unknown;
  try {
    output = upcaster.upcast(input);
  } catch (error) {
    throw new UpcastError(
      event,
      `the upcaster from version ${version} to ${version + 1} threw: ${messageOf(error)}`,
      { cause: error },
    );
  }
  if (output instanceof Promise) {
    throw new UpcastError(
      event,
      `the upcaster from version ${version} to ${version + 1} returned a promise; upcasters are synchronous`,
    );
  }
  return output;
}
