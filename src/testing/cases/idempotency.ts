import { expect } from 'vitest';
import { collect, event, events, expectCode, expectNothingStored, ids } from '../assertions.js';
import type { CaseGroup } from '../case.js';

export const idempotency: CaseGroup = {
  name: 'idempotency',
  cases: [
    {
      title: 'retrying an append with the same event ids returns the first result and stores nothing',
      async run({ store }) {
        const first = await store.appendToStream('s', events('e', 2), { expectedVersion: 'no_stream' });
        await store.appendToStream('s', [event('later')]);
        // The expected versions are stale now: a retry is answered by the ids, not re-checked.
        for (const expectedVersion of ['no_stream', 0, 'any', 'stream_exists', 2] as const) {
          await expectNothingStored(store, async () => {
            expect(await store.appendToStream('s', events('e', 2), { expectedVersion })).toEqual(first);
          });
        }
        expect(ids(await collect(store.readStream('s')))).toEqual(['e-0', 'e-1', 'later']);
      },
    },
    {
      title: 'retrying a multi-stream append returns the first results and stores nothing',
      async run({ store }) {
        const appends = [
          { streamId: 'a', events: events('a', 2), expectedVersion: 'no_stream' as const },
          { streamId: 'b', events: events('b', 1), expectedVersion: 'no_stream' as const },
        ];
        const first = await store.appendToStreams(appends);
        await expectNothingStored(store, async () => {
          expect(await store.appendToStreams(appends)).toEqual(first);
        });
      },
    },
    {
      title: 'the same id with different data, or a different type, is refused with DuplicateEventId',
      async run({ store }) {
        await store.appendToStream('s', [event('e', 'Tested', { amount: 1 })]);
        await expectNothingStored(store, async () => {
          await expectCode(
            () => store.appendToStream('s', [event('e', 'Tested', { amount: 2 })]),
            'DuplicateEventId',
            /\be\b/,
          );
          await expectCode(
            () => store.appendToStream('s', [event('e', 'Other', { amount: 1 })]),
            'DuplicateEventId',
          );
        });
      },
    },
    {
      title: 'data equal as JSON but with keys in another order is the same event: a retry',
      async run({ store }) {
        const first = await store.appendToStream('s', [
          event('e', 'Tested', { a: 1, b: [1, { c: 2, d: 3 }] }),
        ]);
        await expectNothingStored(store, async () => {
          const again = await store.appendToStream('s', [
            event('e', 'Tested', { b: [1, { d: 3, c: 2 }], a: 1 }),
          ]);
          expect(again).toEqual(first);
        });
      },
    },
    {
      title: 'an append mixing stored and new ids is refused and stores nothing',
      async run({ store }) {
        await store.appendToStream('s', events('e', 2));
        await expectNothingStored(store, async () => {
          await expectCode(() => store.appendToStream('s', [event('e-0'), event('new')]), 'DuplicateEventId');
          await expectCode(() => store.appendToStream('s', [event('new'), event('e-0')]), 'DuplicateEventId');
          await expectCode(() => store.appendToStream('s', [event('e-1'), event('e-0')]), 'DuplicateEventId');
        });
      },
    },
    {
      title: 'an id stored in another stream is refused, alone or in a multi-stream append',
      async run({ store }) {
        await store.appendToStream('a', [event('e')]);
        await expectNothingStored(store, async () => {
          await expectCode(() => store.appendToStream('b', [event('e')]), 'DuplicateEventId', /\be\b/);
          await expectCode(
            () =>
              store.appendToStreams([
                { streamId: 'c', events: [event('c')] },
                { streamId: 'b', events: [event('e')] },
              ]),
            'DuplicateEventId',
          );
        });
      },
    },
    {
      title: 'a multi-stream append repeating one stored stream and adding new events elsewhere is refused',
      async run({ store }) {
        await store.appendToStreams([
          { streamId: 'a', events: [event('a')] },
          { streamId: 'b', events: [event('b')] },
        ]);
        await expectNothingStored(store, () =>
          expectCode(
            () =>
              store.appendToStreams([
                { streamId: 'a', events: [event('a')] },
                { streamId: 'c', events: [event('c')] },
              ]),
            'DuplicateEventId',
          ),
        );
      },
    },
    {
      title:
        'the same append sent several times at once is stored once, and every success returns one result',
      async run({ store }) {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, () =>
            store.appendToStream('s', events('e', 3), { expectedVersion: 'no_stream' }),
          ),
        );
        const results = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        expect(results.length).toBeGreaterThan(0);
        for (const result of results) expect(result).toEqual(results[0]);
        for (const o of outcomes) {
          // A copy racing the first may be told of the conflict instead; it must still be a typed refusal.
          if (o.status === 'rejected')
            expect(['DuplicateEventId', 'WrongExpectedVersion']).toContain(o.reason?.code);
        }
        expect(ids(await collect(store.readAll()))).toEqual(['e-0', 'e-1', 'e-2']);
      },
    },
  ],
};
