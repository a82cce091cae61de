import type { RecordedEvent } from '../events/event.js';
import type { EventStore, StreamAppend } from '../store/event-store.js';
import { checkAppend, type RegistryOptions } from './check-append.js';
import type { EventRegistry } from './registry.js';
import { upcast } from './upcast.js';

/**
 * An `EventStore` that speaks the registry's current shapes. Appends are checked against each type's current
 * schema and stamped with its current version (one bad event refuses the whole append, before the store is
 * touched); every read returns events upcast to their current shape. Stored events are never rewritten.
 *
 * @example
 * const store = withRegistry(createSqliteEventStore({ file: 'events.sqlite' }), registry);
 * await store.appendToStream('account-1', [{ type: 'MoneyDeposited', data: { amount: { value: 1234, currency: 'USD' } } }]);
 * for await (const event of store.readStream('account-1')) console.log(event.schemaVersion); // 3, however it was stored
 */
export function withRegistry(
  store: EventStore,
  registry: EventRegistry,
  options: RegistryOptions = {},
): EventStore {
  // The current schema's output is what an append stores as JSON, so it is JSON again.
  const toCurrent = (event: RecordedEvent): RecordedEvent =>
    options.allowUnknownTypes && !registry.get(event.type)
      ? event
      : (upcast(registry, event) as RecordedEvent);
  const checkEach = (appends: readonly StreamAppend[]): readonly StreamAppend[] =>
    Array.isArray(appends)
      ? appends.map((a) => ({ ...a, events: checkAppend(registry, a.streamId, a.events, options) }))
      : appends;

  // Every method is listed rather than forwarded by a Proxy: when EventStore gains a method, this stops
  // compiling until someone decides whether it reads events (and must upcast them) or passes through.
  return {
    async appendToStream(streamId, events, appendOptions) {
      return store.appendToStream(streamId, checkAppend(registry, streamId, events, options), appendOptions);
    },
    async appendToStreams(appends) {
      return store.appendToStreams(checkEach(appends));
    },
    readStream: (streamId, readOptions) => mapEvents(store.readStream(streamId, readOptions), toCurrent),
    readAll: (readOptions) => mapEvents(store.readAll(readOptions), toCurrent),
    async readEvent(eventId) {
      const event = await store.readEvent(eventId);
      return event && toCurrent(event);
    },
    headPosition: () => store.headPosition(),
    streamVersion: (streamId) => store.streamVersion(streamId),
    onAppend: (listener) => store.onAppend(listener),
    close: () => store.close(),
  } satisfies EventStore;
}

async function* mapEvents(
  events: AsyncIterable<RecordedEvent>,
  map: (event: RecordedEvent) => RecordedEvent,
): AsyncGenerator<RecordedEvent> {
  for await (const event of events) yield map(event);
}
