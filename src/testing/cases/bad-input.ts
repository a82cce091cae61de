import { expect } from 'vitest';
import type { NewEvent } from '../../events/event.js';
import type { EventStore } from '../../store/event-store.js';
import { collect, event, expectCode, expectNothingStored } from '../assertions.js';
import type { CaseGroup } from '../case.js';

// The suite feeds stores what TypeScript would refuse, as JavaScript callers and JSON bodies can.
type Untyped = never;

const cycle: Record<string, unknown> = { name: 'loop' };
cycle.self = { back: cycle };

/** Asserts each input is refused with `code` and a message naming the fault, and that nothing is stored. */
async function expectRefused(
  store: EventStore,
  code: string,
  attempts: readonly [string, () => unknown, ...RegExp[]][],
): Promise<void> {
  await store.appendToStream('existing', [event('existing')]);
  await expectNothingStored(store, async () => {
    for (const [label, attempt, ...message] of attempts) {
      const failure = await expectCode(attempt, code, ...message).catch((error: Error) => {
        throw new Error(`${label}: ${error.message}`);
      });
      expect(failure.message.length, label).toBeGreaterThan(10);
    }
  });
}

/** An append of a good event followed by `bad`: the good one must not be stored either. */
const withGood =
  (store: EventStore, bad: unknown, streamId = 's') =>
  () =>
    store.appendToStream(streamId, [event('good'), bad as NewEvent]);

export const badInput: CaseGroup = {
  name: 'bad input',
  cases: [
    {
      title:
        'stream ids that are empty, over 200 characters, not strings, or hold control characters or lone surrogates',
      async run({ store }) {
        const append = (streamId: unknown) => () => store.appendToStream(streamId as Untyped, [event('e')]);
        await expectRefused(store, 'InvalidStreamId', [
          ['empty', append(''), /empty/],
          ['201 characters', append('x'.repeat(201)), /201/, /200/],
          ['newline', append('a\nb'), /control/, /U\+000a/i],
          ['NUL', append('a\u0000b'), /control/],
          ['DEL', append('a\u007fb'), /control/],
          ['C1', append('a\u0085b'), /control/],
          ['lone surrogate', append('a\ud800b'), /surrogate/],
          ['number', append(42), /string/],
          ['undefined', append(undefined), /string/],
          [
            'in appendToStreams',
            () => store.appendToStreams([{ streamId: '', events: [event('e')] }]),
            /empty/,
          ],
        ]);
        const longest = 'y'.repeat(200);
        expect(await store.appendToStream(longest, [event('longest')])).toMatchObject({ streamVersion: 1 });
        expect(await collect(store.readStream(longest))).toHaveLength(1);
      },
    },
    {
      title: 'events without a type, or with a type, id, metadata or schema version of the wrong kind',
      async run({ store }) {
        await expectRefused(store, 'InvalidEvent', [
          ['missing type', withGood(store, { data: {} }), /type/, /event 1/],
          ['empty type', withGood(store, { type: '', data: {} }), /type/],
          ['numeric type', withGood(store, { type: 7, data: {} }), /type/],
          ['missing data', withGood(store, { type: 'T' }), /data/],
          ['null event', withGood(store, null), /event 1/],
          ['string event', withGood(store, 'Deposited'), /event 1/],
          ['empty id', withGood(store, { id: '', type: 'T', data: {} }), /id/],
          ['numeric id', withGood(store, { id: 5, type: 'T', data: {} }), /id/],
          ['id with a lone surrogate', withGood(store, { id: 'i\udc00', type: 'T', data: {} }), /surrogate/],
          ['type with a control character', withGood(store, { type: 'T\n', data: {} }), /type/, /control/],
          ['metadata array', withGood(store, { type: 'T', data: {}, metadata: [] }), /metadata/],
          ['metadata string', withGood(store, { type: 'T', data: {}, metadata: 'ada' }), /metadata/],
          [
            'metadata with a function',
            withGood(store, { type: 'T', data: {}, metadata: { f() {} } }),
            /metadata/,
          ],
          ['schemaVersion 0', withGood(store, { type: 'T', data: {}, schemaVersion: 0 }), /schemaVersion/],
          [
            'schemaVersion 1.5',
            withGood(store, { type: 'T', data: {}, schemaVersion: 1.5 }),
            /schemaVersion/,
          ],
        ]);
      },
    },
    {
      title: 'data JSON cannot carry: functions, BigInt, cycles, NaN, infinities, Dates, Maps, undefined',
      async run({ store }) {
        const data = (value: unknown) => withGood(store, { type: 'T', data: value });
        await expectRefused(store, 'InvalidEvent', [
          ['function', data({ f: () => 1 }), /function/, /data\.f/],
          ['BigInt', data({ amount: 10n }), /BigInt/, /data\.amount/],
          ['cycle', data(cycle), /cycle/, /data\.self\.back/],
          ['NaN', data({ n: Number.NaN }), /NaN/],
          ['Infinity', data([1, Number.POSITIVE_INFINITY]), /Infinity/, /data\[1\]/],
          ['-Infinity', data({ n: Number.NEGATIVE_INFINITY }), /Infinity/],
          ['Date', data({ at: new Date(0) }), /Date/],
          ['Map', data({ m: new Map() }), /Map/],
          ['symbol', data({ s: Symbol('s') }), /symbol/],
          ['undefined at the top', data(undefined), /data/],
          ['undefined in an array', data([1, undefined]), /undefined/, /data\[1\]/],
          ['a class instance', data(new (class Money {})()), /Money/],
        ]);
      },
    },
    {
      title: 'events over the size limit are refused with EventTooLarge',
      async run({ store }) {
        const huge = 'x'.repeat(1024 * 1024);
        await expectRefused(store, 'EventTooLarge', [
          ['data', withGood(store, { type: 'T', data: huge }), /1048576/],
          ['metadata', withGood(store, { type: 'T', data: {}, metadata: { huge } }), /1048576/],
          [
            'multi-stream',
            () =>
              store.appendToStreams([{ streamId: 'a', events: [event('a'), { type: 'T', data: [huge] }] }]),
          ],
        ]);
      },
    },
    {
      title: 'duplicate ids within one append, and across the streams of one appendToStreams',
      async run({ store }) {
        await expectRefused(store, 'DuplicateEventId', [
          [
            'one append',
            () => store.appendToStream('s', [event('twice'), event('other'), event('twice')]),
            /twice/,
          ],
          [
            'across streams',
            () =>
              store.appendToStreams([
                { streamId: 'a', events: [event('twice')] },
                { streamId: 'b', events: [event('twice')] },
              ]),
            /twice/,
          ],
        ]);
      },
    },
    {
      title: 'expected versions that are none of the four kinds are refused with InvalidArgument',
      async run({ store }) {
        const expecting = (expectedVersion: unknown) => () =>
          store.appendToStream('s', [event('e')], { expectedVersion: expectedVersion as Untyped });
        await expectRefused(store, 'InvalidArgument', [
          ['-1', expecting(-1), /expectedVersion/],
          ['1.5', expecting(1.5), /expectedVersion/],
          ['NaN', expecting(Number.NaN), /expectedVersion/],
          ['Infinity', expecting(Number.POSITIVE_INFINITY), /expectedVersion/],
          ['2^53', expecting(2 ** 53), /expectedVersion/],
          ["'3'", expecting('3'), /expectedVersion/],
          ["'latest'", expecting('latest'), /expectedVersion/],
          ['null', expecting(null), /expectedVersion/],
          [
            'in appendToStreams',
            () => store.appendToStreams([{ streamId: 's', events: [event('e')], expectedVersion: -1 }]),
            /expectedVersion/,
          ],
        ]);
      },
    },
    {
      title:
        'event lists that are empty or not arrays, and appendToStreams lists that are empty or repeat a stream',
      async run({ store }) {
        await expectRefused(store, 'InvalidEvent', [
          ['empty', () => store.appendToStream('s', []), /at least one/],
          ['object', () => store.appendToStream('s', event('e') as Untyped), /array/],
          ['undefined', () => store.appendToStream('s', undefined as Untyped), /array/],
          [
            'empty in appendToStreams',
            () => store.appendToStreams([{ streamId: 's', events: [] }]),
            /at least one/,
          ],
        ]);
        await expectRefused(store, 'InvalidArgument', [
          ['no appends', () => store.appendToStreams([]), /appendToStreams/],
          ['not an array', () => store.appendToStreams({} as Untyped), /appendToStreams/],
          [
            'a stream twice',
            () =>
              store.appendToStreams([
                { streamId: 'a', events: [event('a1')] },
                { streamId: 'a', events: [event('a2')] },
              ]),
            /twice/,
          ],
        ]);
      },
    },
    {
      title: 'read options of the wrong kind are refused with InvalidArgument',
      async run({ store }) {
        const read = (iterable: () => AsyncIterable<unknown>) => () => collect(iterable());
        await expectRefused(store, 'InvalidArgument', [
          ['readAll from -1', read(() => store.readAll({ from: -1 })), /from/],
          ['readAll limit 1.5', read(() => store.readAll({ limit: 1.5 })), /limit/],
          ['readAll batchSize 0', read(() => store.readAll({ batchSize: 0 })), /batchSize/],
          ['readAll types', read(() => store.readAll({ types: 'Placed' as Untyped })), /types/],
          [
            'readStream direction',
            read(() => store.readStream('s', { direction: 'up' as Untyped })),
            /direction/,
          ],
          ['readStream from NaN', read(() => store.readStream('s', { from: Number.NaN })), /from/],
        ]);
      },
    },
  ],
};
