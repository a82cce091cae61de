import { expect } from 'vitest';
import type { RecordedEvent } from '../../events/event.js';
import type { EventStore, ReadAllOptions, ReadStreamOptions } from '../../store/event-store.js';
import { collect, event, events, ids, positions, versions } from '../assertions.js';
import type { CaseGroup } from '../case.js';

const batchSizes = [1, 2, 3, undefined];

/** Stream `s` gets versions 1..7 in three appends, interleaved with other streams' events. */
async function interleavedStream(store: EventStore): Promise<void> {
  await store.appendToStream('s', events('s-a', 3));
  await store.appendToStream('other', [event('o-1')]);
  await store.appendToStream('s', events('s-b', 1));
  await store.appendToStream('other', [event('o-2')]);
  await store.appendToStream('s', events('s-c', 3));
}

const range = (from: number, to: number): number[] =>
  from <= to
    ? Array.from({ length: to - from + 1 }, (_, i) => from + i)
    : Array.from({ length: from - to + 1 }, (_, i) => from - i);

export const reads: CaseGroup = {
  name: 'reads',
  cases: [
    {
      title: 'readStream reads forwards and backwards, from a version, with a limit, across batches',
      async run({ store }) {
        await interleavedStream(store);
        const all = await collect(store.readAll());
        const cases: [ReadStreamOptions, number[]][] = [
          [{}, range(1, 7)],
          [{ from: 0 }, range(1, 7)],
          [{ from: 3 }, range(3, 7)],
          [{ limit: 3 }, range(1, 3)],
          [{ from: 3, limit: 2 }, [3, 4]],
          [{ from: 7 }, [7]],
          [{ from: 8 }, []],
          [{ limit: 0 }, []],
          [{ direction: 'forwards', from: 2, limit: 100 }, range(2, 7)],
          [{ direction: 'backwards' }, range(7, 1)],
          [{ direction: 'backwards', from: 4 }, range(4, 1)],
          [{ direction: 'backwards', limit: 2 }, [7, 6]],
          [{ direction: 'backwards', from: 4, limit: 2 }, [4, 3]],
          [{ direction: 'backwards', from: 100 }, range(7, 1)],
          [{ direction: 'backwards', from: 1 }, [1]],
        ];
        for (const batchSize of batchSizes) {
          for (const [options, expected] of cases) {
            const read = await collect(store.readStream('s', { ...options, batchSize }));
            expect(versions(read), JSON.stringify({ ...options, batchSize })).toEqual(expected);
            // The same records as the global log holds, not merely the same versions.
            expect(read).toEqual(
              expected.map((v) => all.find((e) => e.streamId === 's' && e.streamVersion === v)),
            );
          }
        }
        expect(ids(await collect(store.readStream('s')))).toEqual([
          ...ids(events('s-a', 3)),
          ...ids(events('s-b', 1)),
          ...ids(events('s-c', 3)),
        ]);
      },
    },
    {
      title: 'an absent stream reads as empty both ways, with version 0; an empty log has head 0',
      async run({ store }) {
        expect(await store.headPosition()).toBe(0);
        expect(await collect(store.readAll())).toEqual([]);
        await store.appendToStream('present', [event('p')]);
        for (const direction of ['forwards', 'backwards'] as const) {
          expect(await collect(store.readStream('absent', { direction }))).toEqual([]);
        }
        expect(await store.streamVersion('absent')).toBe(0);
        expect(await store.streamVersion('present')).toBe(1);
        // A stream id that is a prefix of another names a different stream.
        expect(await collect(store.readStream('pres'))).toEqual([]);
      },
    },
    {
      title: 'readAll reads from a position, with a limit, across batches; headPosition is the last position',
      async run({ store }) {
        await interleavedStream(store);
        const all = await collect(store.readAll());
        expect(all).toHaveLength(9);
        expect(all[0]?.position).toBe(1);
        expect(await store.headPosition()).toBe(all[8]?.position);
        const p = positions(all);
        const cases: [ReadAllOptions, RecordedEvent[]][] = [
          [{}, all],
          [{ from: 0 }, all],
          [{ from: p[3] }, all.slice(3)],
          [{ from: (p[3] as number) + 1 }, all.slice(4)],
          [{ limit: 4 }, all.slice(0, 4)],
          [{ from: p[2], limit: 5 }, all.slice(2, 7)],
          [{ from: (p[8] as number) + 1 }, []],
          [{ limit: 0 }, []],
        ];
        for (const batchSize of batchSizes) {
          for (const [options, expected] of cases) {
            expect(await collect(store.readAll({ ...options, batchSize })), JSON.stringify(options)).toEqual(
              expected,
            );
          }
        }
      },
    },
    {
      title: 'readAll filters by stream prefix and by type, alone and together, with from, limit and batches',
      async run({ store }) {
        const layout: [string, string][] = [
          ['order-1', 'Placed'],
          ['account-1', 'Opened'],
          ['order-2', 'Placed'],
          ['orders', 'Placed'],
          ['order-1', 'Shipped'],
          ['ord', 'Placed'],
          ['a_b', 'Opened'],
          ['axb', 'Opened'],
          ['a%c', 'Opened'],
          ['abc', 'Opened'],
          ['order-2', 'Cancelled'],
          ['Order-3', 'Placed'],
        ];
        for (const [i, [streamId, type]] of layout.entries()) {
          await store.appendToStream(streamId, [event(`e${i}`, type)]);
        }
        const all = await collect(store.readAll());
        const where = (test: (e: RecordedEvent) => boolean) => ids(all.filter(test));
        const cases: [ReadAllOptions, (string | undefined)[]][] = [
          [{ streamPrefix: 'order-' }, where((e) => e.streamId.startsWith('order-'))],
          [{ streamPrefix: 'order' }, where((e) => e.streamId.startsWith('order'))],
          [{ streamPrefix: 'a_' }, ['e6']],
          [{ streamPrefix: 'a%' }, ['e8']],
          [{ streamPrefix: 'nothing-' }, []],
          [{ streamPrefix: '' }, ids(all)],
          [{ types: ['Placed'] }, where((e) => e.type === 'Placed')],
          [{ types: ['Shipped', 'Cancelled'] }, ['e4', 'e10']],
          [{ types: ['Unknown'] }, []],
          [{ streamPrefix: 'order-', types: ['Placed'] }, ['e0', 'e2']],
          [{ streamPrefix: 'order-', types: ['Placed', 'Cancelled'], limit: 2 }, ['e0', 'e2']],
          [{ streamPrefix: 'order-', from: all[3]?.position }, ['e4', 'e10']],
          [{ streamPrefix: 'order', types: ['Placed'], from: all[1]?.position, limit: 2 }, ['e2', 'e3']],
        ];
        for (const batchSize of batchSizes) {
          for (const [options, expected] of cases) {
            expect(
              ids(await collect(store.readAll({ ...options, batchSize }))),
              JSON.stringify(options),
            ).toEqual(expected);
          }
        }
      },
    },
    {
      title:
        'recorded events carry id, stream, version, position, type, schema version, data, metadata, time',
      async run({ store }) {
        const before = Date.now();
        await store.appendToStream('s', [
          { type: 'Plain', data: { n: 1 } },
          {
            id: 'given',
            type: 'Full',
            schemaVersion: 3,
            data: [1, 'two', { three: [null, true, false, 0.5, -7] }],
            metadata: { actor: 'ada', correlationId: 'c-1', causationId: 'c-0', custom: { deep: [1] } },
          },
        ]);
        const after = Date.now();
        const [plain, full] = await collect(store.readStream('s'));
        expect(plain).toMatchObject({
          streamId: 's',
          streamVersion: 1,
          type: 'Plain',
          schemaVersion: 1,
          data: { n: 1 },
        });
        expect(plain?.metadata).toEqual({});
        expect(typeof plain?.id).toBe('string');
        expect(plain?.id.length).toBeGreaterThan(0);
        expect(full).toEqual({
          id: 'given',
          streamId: 's',
          streamVersion: 2,
          position: 2,
          type: 'Full',
          schemaVersion: 3,
          data: [1, 'two', { three: [null, true, false, 0.5, -7] }],
          metadata: { actor: 'ada', correlationId: 'c-1', causationId: 'c-0', custom: { deep: [1] } },
          recordedAt: expect.any(Date),
        });
        for (const e of [plain, full]) {
          expect(e?.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(e?.recordedAt.getTime()).toBeLessThanOrEqual(after + 1000);
        }
        const generated = await store.appendToStream('t', [{ type: 'Plain', data: 1 }]);
        const [other] = await collect(store.readAll({ from: generated.position }));
        expect(other?.id).not.toBe(plain?.id);
        expect(other?.data).toBe(1);
      },
    },
    {
      title:
        'readEvent finds an event by its id in any stream, the same record readAll holds; undefined if absent',
      async run({ store }) {
        await interleavedStream(store);
        const all = await collect(store.readAll());
        for (const e of all) expect(await store.readEvent(e.id)).toEqual(e);
        expect(await store.readEvent('no-such-id')).toBeUndefined();
        expect(await store.readEvent('s-a')).toBeUndefined();
      },
    },
    {
      title: 'a reader that stops early holds nothing: appends and reads carry on',
      async run({ store }) {
        await store.appendToStream('s', events('e', 6));
        for await (const e of store.readAll({ batchSize: 2 })) {
          expect(e.id).toBe('e-0');
          break;
        }
        const iterator = store.readStream('s', { batchSize: 2 })[Symbol.asyncIterator]();
        expect((await iterator.next()).value?.id).toBe('e-0');
        await iterator.return?.();
        expect(await store.appendToStream('s', [event('next')], { expectedVersion: 6 })).toMatchObject({
          streamVersion: 7,
        });
        expect(await collect(store.readAll())).toHaveLength(7);
      },
    },
  ],
};
