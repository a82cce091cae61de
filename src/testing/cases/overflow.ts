import { expect } from 'vitest';
import { collect, event, events, expectCode, expectNothingStored } from '../assertions.js';
import type { CaseGroup } from '../case.js';

const max = Number.MAX_SAFE_INTEGER;

export const overflow: CaseGroup = {
  name: 'position overflow',
  cases: [
    {
      title: 'an append that would pass 2^53 - 1 is refused with PositionOverflow and stores nothing',
      needs: ['setNextPosition'],
      async run(log) {
        const { store } = log;
        const setNextPosition = (position: number) => log.setNextPosition?.(position);
        await store.appendToStream('s', [event('first')]);

        // The first event would fit at 2^53 - 1; the second would not, so neither is stored.
        await setNextPosition(max);
        await expectNothingStored(store, () =>
          expectCode(() => store.appendToStream('s', events('two', 2)), 'PositionOverflow'),
        );
        expect(await store.streamVersion('s')).toBe(1);

        await setNextPosition(max);
        const last = await store.appendToStream('s', [event('last')], { expectedVersion: 1 });
        expect(last).toEqual({ streamId: 's', streamVersion: 2, position: max });
        expect(await store.headPosition()).toBe(max);
        const [read] = await collect(store.readAll({ from: max }));
        expect(read).toMatchObject({ id: 'last', position: max, streamVersion: 2 });
        expect(
          (await collect(store.readStream('s', { direction: 'backwards', limit: 1 })))[0]?.position,
        ).toBe(max);

        await expectNothingStored(store, async () => {
          await expectCode(() => store.appendToStream('s', [event('past')]), 'PositionOverflow');
          await expectCode(
            () => store.appendToStreams([{ streamId: 'other', events: [event('past-other')] }]),
            'PositionOverflow',
          );
        });
        expect(await store.streamVersion('other')).toBe(0);
      },
    },
  ],
};
