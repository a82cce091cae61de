import { expect } from 'vitest';
import {
  collect,
  event,
  events,
  expectCode,
  expectNothingStored,
  expectWrongVersion,
  ids,
  versions,
} from '../assertions.js';
import type { CaseGroup } from '../case.js';

export const atomicity: CaseGroup = {
  name: 'atomicity',
  cases: [
    {
      title: 'a multi-event append sits contiguous in its stream and returns its last version and position',
      async run({ store }) {
        await store.appendToStream('other', [event('o')]);
        const result = await store.appendToStream('s', events('e', 5), { expectedVersion: 'no_stream' });
        const stream = await collect(store.readStream('s'));
        expect(ids(stream)).toEqual(ids(events('e', 5)));
        expect(versions(stream)).toEqual([1, 2, 3, 4, 5]);
        expect(result).toEqual({ streamId: 's', streamVersion: 5, position: stream[4]?.position });
      },
    },
    {
      title: 'a multi-event append that fails in the database on its last event stores none of it',
      async run({ store }) {
        await store.appendToStream('other', [event('taken')]);
        await store.appendToStream('s', [event('first')]);
        // The id check happens in the database, after the first events of the append were written.
        await expectNothingStored(store, () =>
          expectCode(
            () => store.appendToStream('s', [...events('new', 3), event('taken')], { expectedVersion: 1 }),
            'DuplicateEventId',
            /taken/,
          ),
        );
        expect(await store.streamVersion('s')).toBe(1);
      },
    },
    {
      title: 'appendToStreams returns one result per stream, in the order given',
      async run({ store }) {
        await store.appendToStream('b', events('b-old', 2));
        const results = await store.appendToStreams([
          { streamId: 'a', events: events('a', 2), expectedVersion: 'no_stream' },
          { streamId: 'b', events: events('b', 1), expectedVersion: 2 },
          { streamId: 'c', events: events('c', 3) },
        ]);
        expect(results.map((r) => [r.streamId, r.streamVersion])).toEqual([
          ['a', 2],
          ['b', 3],
          ['c', 3],
        ]);
        for (const result of results) {
          const stream = await collect(store.readStream(result.streamId));
          expect(stream[stream.length - 1]?.position).toBe(result.position);
        }
        expect(ids(await collect(store.readStream('b')))).toEqual(['b-old-0', 'b-old-1', 'b-0']);
      },
    },
    {
      title: 'appendToStreams: a failing version check on one stream stores nothing on any',
      async run({ store }) {
        await store.appendToStream('b', [event('b-old')]);
        await expectNothingStored(store, () =>
          expectWrongVersion(
            () =>
              store.appendToStreams([
                { streamId: 'a', events: events('a', 2), expectedVersion: 'no_stream' },
                { streamId: 'b', events: events('b', 1), expectedVersion: 7 },
                { streamId: 'c', events: events('c', 1) },
              ]),
            'b',
            7,
            1,
          ),
        );
        expect(await store.streamVersion('a')).toBe(0);
        expect(await store.streamVersion('c')).toBe(0);
      },
    },
    {
      title: 'appendToStreams: a stored event id in the last stream stores nothing on any',
      async run({ store }) {
        await store.appendToStream('other', [event('taken')]);
        await expectNothingStored(store, () =>
          expectCode(
            () =>
              store.appendToStreams([
                { streamId: 'a', events: events('a', 2) },
                { streamId: 'b', events: [event('b'), event('taken')] },
              ]),
            'DuplicateEventId',
            /taken/,
          ),
        );
      },
    },
    {
      title:
        'concurrent multi-stream appends conflicting on one stream: one wins, the loser stores on no stream',
      async run({ store }) {
        const outcomes = await Promise.allSettled([
          store.appendToStreams([
            { streamId: 'left', events: events('left', 2) },
            { streamId: 'shared', events: events('from-left', 1), expectedVersion: 'no_stream' },
          ]),
          store.appendToStreams([
            { streamId: 'shared', events: events('from-right', 1), expectedVersion: 'no_stream' },
            { streamId: 'right', events: events('right', 2) },
          ]),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const leftWon = outcomes[0]?.status === 'fulfilled';
        const loser = outcomes[leftWon ? 1 : 0];
        expect(loser?.status === 'rejected' && loser.reason).toMatchObject({
          code: 'WrongExpectedVersion',
          streamId: 'shared',
        });
        expect(await store.streamVersion(leftWon ? 'left' : 'right')).toBe(2);
        expect(await store.streamVersion(leftWon ? 'right' : 'left')).toBe(0);
        expect(await collect(store.readAll())).toHaveLength(3);
      },
    },
  ],
};
