import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError, isHindsightError, UpcastError } from '../events/errors.js';
import type { NewEvent, RecordedEvent } from '../events/event.js';
import { createSqliteEventStore, type SqliteEventStore } from '../sqlite/index.js';
import type { EventStore } from '../store/event-store.js';
import { defineEvent } from './define-event.js';
import { createEventRegistry } from './registry.js';
import { withRegistry } from './with-registry.js';

const registry = createEventRegistry([
  defineEvent('Renamed', {
    version: 2,
    schema: z.object({ name: z.object({ first: z.string(), last: z.string() }) }),
    upcast: {
      1: {
        schema: z.object({ name: z.string() }),
        upcast: (v1) => {
          const [first = '', ...rest] = v1.name.split(' ');
          return { name: { first, last: rest.join(' ') } };
        },
      },
    },
  }),
]);

const renamed = (first: string, last: string): NewEvent => ({
  type: 'Renamed',
  data: { name: { first, last } },
});
const renamedV1 = (name: string): NewEvent => ({ type: 'Renamed', schemaVersion: 1, data: { name } });

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

let raw: SqliteEventStore;
let store: EventStore;
beforeEach(() => {
  raw = createSqliteEventStore({ file: ':memory:' });
  store = withRegistry(raw, registry);
});
afterEach(async () => {
  await raw.close();
});

describe('withRegistry', () => {
  it('stores what the schema accepts at the current version, and reads stored versions in the current shape', async () => {
    await raw.appendToStream('person-1', [renamedV1('Ada King Lovelace')]);
    await store.appendToStream('person-1', [renamed('Ada', 'Lovelace')]);
    const stored = await collect(raw.readStream('person-1'));
    expect(stored.map((e) => [e.schemaVersion, e.data])).toEqual([
      [1, { name: 'Ada King Lovelace' }],
      [2, { name: { first: 'Ada', last: 'Lovelace' } }],
    ]);
    const read = await collect(store.readStream('person-1'));
    expect(read.map((e) => [e.schemaVersion, e.data])).toEqual([
      [2, { name: { first: 'Ada', last: 'King Lovelace' } }],
      [2, { name: { first: 'Ada', last: 'Lovelace' } }],
    ]);
    expect(read.map(({ data, schemaVersion, ...rest }) => rest)).toEqual(
      stored.map(({ data, schemaVersion, ...rest }) => rest),
    );
  });

  it('upcasts the event read by id', async () => {
    await raw.appendToStream('person-1', [{ ...renamedV1('Grace Hopper'), id: 'e-1' }]);
    expect((await store.readEvent('e-1'))?.data).toEqual({ name: { first: 'Grace', last: 'Hopper' } });
    expect(await store.readEvent('e-2')).toBeUndefined();
  });

  it('passes read options through: backwards, from, limit, asOf, filters', async () => {
    await raw.appendToStream('person-1', [renamedV1('A B'), renamedV1('C D')]);
    await store.appendToStream('person-1', [renamed('E', 'F')]);
    await store.appendToStream('other-1', [renamed('G', 'H')]);
    const firsts = (events: RecordedEvent[]) =>
      events.map((e) => (e.data as { name: { first: string } }).name.first);
    expect(firsts(await collect(store.readStream('person-1', { direction: 'backwards' })))).toEqual([
      'E',
      'C',
      'A',
    ]);
    expect(firsts(await collect(store.readStream('person-1', { from: 2, limit: 1 })))).toEqual(['C']);
    expect(firsts(await collect(store.readStream('person-1', { asOf: { version: 2 } })))).toEqual(['A', 'C']);
    expect(firsts(await collect(store.readAll({ streamPrefix: 'other-' })))).toEqual(['G']);
    expect(firsts(await collect(store.readAll({ from: 2, asOf: { position: 3 } })))).toEqual(['C', 'E']);
  });

  it('refuses an append with one bad event and stores none of it', async () => {
    const error = await rejection(
      store.appendToStream('person-1', [renamed('A', 'B'), renamed('C', 'D'), { type: 'Renamed', data: {} }]),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toMatch(
      /^stream "person-1", event 2 \(Renamed\), field data\.name: Invalid input/,
    );
    expect(await raw.headPosition()).toBe(0);
  });

  it('refuses a multi-stream append with one bad event and stores nothing in any stream', async () => {
    const error = await rejection(
      store.appendToStreams([
        { streamId: 'person-1', events: [renamed('A', 'B')] },
        { streamId: 'person-2', events: [renamed('C', 'D'), { type: 'Renamed', data: { name: 'E F' } }] },
      ]),
    );
    expect(isHindsightError(error, 'InvalidEvent')).toBe(true);
    expect((error as InvalidInputError).where).toBe('stream "person-2", event 1 (Renamed), field data.name');
    expect(await raw.headPosition()).toBe(0);
    const results = await store.appendToStreams([
      { streamId: 'person-1', events: [renamed('A', 'B')] },
      { streamId: 'person-2', events: [renamed('C', 'D')], expectedVersion: 'no_stream' },
    ]);
    expect(results.map((r) => r.streamVersion)).toEqual([1, 1]);
  });

  it('refuses unknown types both ways unless allowed, and then leaves them as they are', async () => {
    const mystery = { type: 'Mystery', data: { x: 1 } };
    expect(isHindsightError(await rejection(store.appendToStream('m-1', [mystery])), 'InvalidEvent')).toBe(
      true,
    );
    await raw.appendToStream('m-1', [mystery]);
    const error = await rejection(collect(store.readAll()));
    expect(error).toBeInstanceOf(UpcastError);
    expect((error as UpcastError).message).toBe(
      'event at position 1 (stream "m-1", version 1, Mystery v1): the registry knows no event type Mystery',
    );

    const lenient = withRegistry(raw, registry, { allowUnknownTypes: true });
    await lenient.appendToStream('m-1', [mystery, renamed('A', 'B')]);
    const read = await collect(lenient.readStream('m-1'));
    expect(read.map((e) => [e.type, e.schemaVersion, e.data])).toEqual([
      ['Mystery', 1, { x: 1 }],
      ['Mystery', 1, { x: 1 }],
      ['Renamed', 2, { name: { first: 'A', last: 'B' } }],
    ]);
    expect(
      isHindsightError(await rejection(lenient.appendToStream('m-1', [{ type: 'Renamed', data: 1 }]))),
    ).toBe(true);
  });

  it('fails a read at the first event that cannot be upcast, naming it', async () => {
    await raw.appendToStream('person-1', [
      renamedV1('A B'),
      { type: 'Renamed', schemaVersion: 1, data: { name: 7 } },
    ]);
    const seen: RecordedEvent[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of store.readStream('person-1')) seen.push(event);
      })(),
    );
    expect(seen).toHaveLength(1);
    expect((error as UpcastError).message).toBe(
      'event at position 2 (stream "person-1", version 2, Renamed v1): its data does not match the version 1 schema: data.name: Invalid input: expected string, received number',
    );
  });

  it('passes headPosition, streamVersion, onAppend, argument errors and close through', async () => {
    let calls = 0;
    const stop = store.onAppend(() => calls++);
    await store.appendToStream('person-1', [renamed('A', 'B'), renamed('C', 'D')]);
    stop();
    expect(calls).toBeGreaterThan(0);
    expect(await store.headPosition()).toBe(2);
    expect(await store.streamVersion('person-1')).toBe(2);
    expect(() => store.readStream('')).toThrow(/streamId/);
    await store.close();
    expect(isHindsightError(await rejection(raw.headPosition()), 'StoreClosed')).toBe(true);
  });
});
