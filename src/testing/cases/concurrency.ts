import { expect } from 'vitest';
import type { AppendResult } from '../../store/event-store.js';
import {
  collect,
  event,
  events,
  expectConsistentLog,
  expectNothingStored,
  expectWrongVersion,
  ids,
  versions,
} from '../assertions.js';
import type { CaseGroup } from '../case.js';

const appenders = 20;

function fulfilled<T>(outcomes: PromiseSettledResult<T>[]): T[] {
  return outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
}

function rejected<T>(outcomes: PromiseSettledResult<T>[]): unknown[] {
  return outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
}

export const concurrency: CaseGroup = {
  name: 'optimistic concurrency',
  cases: [
    {
      title: "'any', and no options at all, append whatever the stream's version",
      async run({ store }) {
        expect(await store.appendToStream('s', [event('a')])).toEqual({
          streamId: 's',
          streamVersion: 1,
          position: 1,
        });
        const second = await store.appendToStream('s', events('b', 2), { expectedVersion: 'any' });
        expect(second).toMatchObject({ streamId: 's', streamVersion: 3 });
        expect(await store.streamVersion('s')).toBe(3);
        expect(ids(await collect(store.readStream('s')))).toEqual(['a', 'b-0', 'b-1']);
      },
    },
    {
      title: "'no_stream' succeeds on an absent stream and fails on an existing one, storing nothing",
      async run({ store }) {
        expect(await store.appendToStream('s', [event('a')], { expectedVersion: 'no_stream' })).toMatchObject(
          {
            streamVersion: 1,
          },
        );
        await expectNothingStored(store, () =>
          expectWrongVersion(
            () => store.appendToStream('s', [event('b')], { expectedVersion: 'no_stream' }),
            's',
            'no_stream',
            1,
          ),
        );
      },
    },
    {
      title: "'stream_exists' fails on an absent stream, storing nothing, and succeeds on an existing one",
      async run({ store }) {
        await store.appendToStream('other', [event('o')]);
        await expectNothingStored(store, () =>
          expectWrongVersion(
            () => store.appendToStream('s', [event('a')], { expectedVersion: 'stream_exists' }),
            's',
            'stream_exists',
            0,
          ),
        );
        await store.appendToStream('s', [event('a')]);
        const result = await store.appendToStream('s', [event('b')], { expectedVersion: 'stream_exists' });
        expect(result).toMatchObject({ streamId: 's', streamVersion: 2 });
      },
    },
    {
      title: 'an exact version succeeds only at that version, 0 meaning an empty stream',
      async run({ store }) {
        expect(await store.appendToStream('s', [event('a')], { expectedVersion: 0 })).toMatchObject({
          streamVersion: 1,
        });
        for (const [expected, label] of [
          [0, 'behind'],
          [2, 'ahead'],
          [7, 'far ahead'],
        ] as const) {
          await expectNothingStored(store, () =>
            expectWrongVersion(
              () => store.appendToStream('s', [event(`x-${label}`)], { expectedVersion: expected }),
              's',
              expected,
              1,
            ),
          );
        }
        expect(await store.appendToStream('s', events('b', 2), { expectedVersion: 1 })).toMatchObject({
          streamVersion: 3,
        });
        await expectWrongVersion(
          () => store.appendToStream('s', [event('c')], { expectedVersion: 1 }),
          's',
          1,
          3,
        );
        expect(await store.appendToStream('s', [event('c')], { expectedVersion: 3 })).toMatchObject({
          streamVersion: 4,
        });
        expect(ids(await collect(store.readStream('s')))).toEqual(['a', 'b-0', 'b-1', 'c']);
      },
    },
    {
      title: "each stream has its own version: appends to one never move another's",
      async run({ store }) {
        await store.appendToStream('a', events('a', 3));
        expect(await store.streamVersion('b')).toBe(0);
        expect(await store.appendToStream('b', [event('b')], { expectedVersion: 'no_stream' })).toMatchObject(
          {
            streamVersion: 1,
            position: 4,
          },
        );
        expect(await store.streamVersion('a')).toBe(3);
      },
    },
    {
      title: `of ${appenders} concurrent appenders expecting the same version, exactly one wins`,
      async run({ store }) {
        await store.appendToStream('s', events('setup', 3));
        const outcomes = await Promise.allSettled(
          Array.from({ length: appenders }, (_, i) =>
            store.appendToStream('s', events(`racer-${i}`, 2), { expectedVersion: 3 }),
          ),
        );
        const winners = fulfilled(outcomes);
        expect(winners).toHaveLength(1);
        expect(winners[0]).toMatchObject({ streamId: 's', streamVersion: 5 });
        for (const loser of rejected(outcomes)) {
          expect(loser).toMatchObject({
            code: 'WrongExpectedVersion',
            streamId: 's',
            expected: 3,
            actual: 5,
          });
        }
        const stream = await collect(store.readStream('s'));
        expect(versions(stream)).toEqual([1, 2, 3, 4, 5]);
        const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(ids(stream.slice(3))).toEqual([`racer-${winner}-0`, `racer-${winner}-1`]);
        expect(stream[4]?.position).toBe(winners[0]?.position);
        const log = await collect(store.readAll());
        expect(log).toHaveLength(5);
        expectConsistentLog(log);
      },
    },
    {
      title: `of ${appenders} concurrent 'no_stream' appenders to a new stream, exactly one wins`,
      async run({ store }) {
        const outcomes = await Promise.allSettled(
          Array.from({ length: appenders }, (_, i) =>
            store.appendToStream('s', [event(`racer-${i}`)], { expectedVersion: 'no_stream' }),
          ),
        );
        expect(fulfilled(outcomes)).toHaveLength(1);
        for (const loser of rejected(outcomes)) {
          expect(loser).toMatchObject({
            code: 'WrongExpectedVersion',
            streamId: 's',
            expected: 'no_stream',
            actual: 1,
          });
        }
        expect(await collect(store.readAll())).toHaveLength(1);
      },
    },
    {
      title: `${appenders} concurrent 'any' appenders are all stored, each contiguous, versions 1..n, positions rising`,
      async run({ store }) {
        const sizes = Array.from({ length: appenders }, (_, i) => (i % 3) + 1);
        const results = await Promise.all(
          sizes.map((size, i) =>
            store.appendToStream('s', events(`w${i}`, size), { expectedVersion: 'any' }),
          ),
        );
        const total = sizes.reduce((a, b) => a + b, 0);
        const stream = await collect(store.readStream('s'));
        expect(versions(stream)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        expectConsistentLog(await collect(store.readAll()));
        results.forEach((result: AppendResult, i) => {
          const size = sizes[i] as number;
          // Each append's events sit together, ending at the version and position it returned.
          const own = stream.slice(result.streamVersion - size, result.streamVersion);
          expect(ids(own)).toEqual(ids(events(`w${i}`, size)));
          expect(own[own.length - 1]?.position).toBe(result.position);
        });
      },
    },
    {
      title:
        'concurrent appends of which some fail: each failure stores nothing, every other append is stored',
      async run({ store }) {
        const taken = await store.appendToStream('x', [event('taken')]);
        const good = Array.from({ length: 10 }, (_, i) =>
          store.appendToStream(`good-${i}`, [event(`good-${i}`)], { expectedVersion: 'no_stream' }),
        );
        const anyX = Array.from({ length: 6 }, (_, i) => store.appendToStream('x', [event(`any-${i}`)]));
        const stale = Array.from({ length: 5 }, (_, i) =>
          store.appendToStream('x', [event(`stale-${i}`)], { expectedVersion: 0 }),
        );
        const duplicate = Array.from({ length: 3 }, (_, i) =>
          store.appendToStream(`dup-${i}`, [event(`dup-${i}`), event('taken')]),
        );
        const retries = Array.from({ length: 2 }, () => store.appendToStream('x', [event('taken')]));
        const bad = store.appendToStream('bad', [event('bad-0'), { type: 'Bad', data: Number.NaN }]);
        const [goodR, anyR, staleR, dupR, retryR, badR] = await Promise.all(
          [good, anyX, stale, duplicate, retries, [bad]].map((group) => Promise.allSettled(group)),
        );
        expect(fulfilled(goodR ?? [])).toHaveLength(10);
        expect(fulfilled(anyR ?? [])).toHaveLength(6);
        for (const failure of rejected(staleR ?? []))
          expect(failure).toMatchObject({ code: 'WrongExpectedVersion' });
        expect(rejected(staleR ?? [])).toHaveLength(5);
        for (const failure of rejected(dupR ?? []))
          expect(failure).toMatchObject({ code: 'DuplicateEventId' });
        expect(rejected(dupR ?? [])).toHaveLength(3);
        expect(fulfilled(retryR ?? [])).toEqual([taken, taken]);
        expect(rejected(badR ?? [])).toEqual([expect.objectContaining({ code: 'InvalidEvent' })]);

        const log = await collect(store.readAll());
        expectConsistentLog(log);
        const stored = new Set(ids(log));
        for (let i = 0; i < 10; i++) expect(stored.has(`good-${i}`)).toBe(true);
        for (let i = 0; i < 6; i++) expect(stored.has(`any-${i}`)).toBe(true);
        for (const absent of ['stale-0', 'dup-0', 'dup-1', 'dup-2', 'bad-0'])
          expect(stored.has(absent)).toBe(false);
        expect(log).toHaveLength(1 + 10 + 6);
        expect(await store.streamVersion('x')).toBe(7);
      },
    },
  ],
};
