import { expect } from 'vitest';
import type { ReadAllOptions, ReadStreamOptions } from '../../store/event-store.js';
import { collect, event, events, expectCode, ids, versions } from '../assertions.js';
import type { CaseGroup } from '../case.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const asOf: CaseGroup = {
  name: 'reads as of the past',
  cases: [
    {
      title: 'a stream as of a version, a position or an instant, in both directions and with from and limit',
      async run({ store }) {
        await store.appendToStream('s', events('s', 2));
        await store.appendToStream('o', [event('o')]);
        // Separate milliseconds, so that an instant falls between the appends.
        await sleep(20);
        await store.appendToStream('s', [event('s-2')]);
        await sleep(20);
        await store.appendToStream('s', [event('s-3')]);
        const all = await collect(store.readAll());
        const third = all.find((e) => e.id === 's-2');
        const beforeAll = new Date((all[0]?.recordedAt.getTime() ?? 0) - 1);
        const cases: [ReadStreamOptions, number[]][] = [
          [{ asOf: { version: 2 } }, [1, 2]],
          [{ asOf: { version: 2 }, direction: 'backwards' }, [2, 1]],
          [{ asOf: { version: 3 }, from: 2 }, [2, 3]],
          [{ asOf: { version: 3 }, direction: 'backwards', from: 4 }, [3, 2, 1]],
          [{ asOf: { version: 3 }, direction: 'backwards', limit: 2, batchSize: 1 }, [3, 2]],
          [{ asOf: { version: 0 } }, []],
          [{ asOf: { version: 99 } }, [1, 2, 3, 4]],
          [{ asOf: { position: 3 } }, [1, 2]],
          [{ asOf: { position: third?.position ?? 0 } }, [1, 2, 3]],
          [{ asOf: { position: 3 }, direction: 'backwards' }, [2, 1]],
          [{ asOf: { time: third?.recordedAt ?? new Date() } }, [1, 2, 3]],
          [
            { asOf: { time: third?.recordedAt ?? new Date() }, direction: 'backwards', batchSize: 1 },
            [3, 2, 1],
          ],
          [{ asOf: { time: beforeAll } }, []],
        ];
        for (const [options, expected] of cases) {
          expect(versions(await collect(store.readStream('s', options))), JSON.stringify(options)).toEqual(
            expected,
          );
        }
      },
    },
    {
      title: 'the log as of a position or an instant, with filters and batches; a version bound is refused',
      async run({ store }) {
        await store.appendToStream('a-1', [event('a1')]);
        await store.appendToStream('b-1', [event('b1')]);
        await sleep(20);
        await store.appendToStream('a-2', [event('a2')]);
        await sleep(20);
        await store.appendToStream('a-1', [event('a1-again')]);
        const all = await collect(store.readAll());
        const cutoff = all[2];
        const cases: [ReadAllOptions, string[]][] = [
          [{ asOf: { position: cutoff?.position ?? 0 } }, ['a1', 'b1', 'a2']],
          [{ asOf: { position: cutoff?.position ?? 0 }, streamPrefix: 'a-', batchSize: 1 }, ['a1', 'a2']],
          [{ asOf: { position: cutoff?.position ?? 0 }, from: all[1]?.position, limit: 1 }, ['b1']],
          [{ asOf: { position: 0 } }, []],
          [{ asOf: { time: cutoff?.recordedAt ?? new Date() } }, ['a1', 'b1', 'a2']],
          [
            { asOf: { time: cutoff?.recordedAt ?? new Date() }, types: ['Tested'], streamPrefix: 'b-' },
            ['b1'],
          ],
        ];
        for (const [options, expected] of cases) {
          expect(ids(await collect(store.readAll(options))), JSON.stringify(options)).toEqual(expected);
        }
        await expectCode(
          () => collect(store.readAll({ asOf: { version: 1 } as never })),
          'InvalidArgument',
          /asOf/,
        );
        await expectCode(
          () => collect(store.readStream('a-1', { asOf: { version: -1 } })),
          'InvalidArgument',
        );
        await expectCode(
          () => collect(store.readStream('a-1', { asOf: { time: new Date(Number.NaN) } })),
          'InvalidArgument',
        );
      },
    },
  ],
};
