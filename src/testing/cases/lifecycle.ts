import { expect } from 'vitest';
import { collect, event, events, expectCode, ids } from '../assertions.js';
import type { CaseGroup } from '../case.js';

export const lifecycle: CaseGroup = {
  name: 'lifecycle',
  cases: [
    {
      title: 'close finishes pending appends; a second close is harmless; then everything is StoreClosed',
      async run(log) {
        const { store } = log;
        const pending = store.appendToStream('s', events('e', 2));
        await store.close();
        expect(await pending).toMatchObject({ streamVersion: 2 });
        await store.close();
        await expectCode(() => store.appendToStream('s', [event('late')]), 'StoreClosed');
        await expectCode(
          () => store.appendToStreams([{ streamId: 's', events: [event('late')] }]),
          'StoreClosed',
        );
        await expectCode(() => collect(store.readAll()), 'StoreClosed');
        await expectCode(() => collect(store.readStream('s')), 'StoreClosed');
        await expectCode(() => store.headPosition(), 'StoreClosed');
        await expectCode(() => store.streamVersion('s'), 'StoreClosed');
        await expectCode(() => store.readEvent('e-0'), 'StoreClosed');
        const reopened = await log.reopen();
        try {
          expect(ids(await collect(reopened.readAll()))).toEqual(['e-0', 'e-1']);
        } finally {
          await reopened.close();
        }
      },
    },
  ],
};
