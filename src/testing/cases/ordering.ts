import { expect } from 'vitest';
import type { RecordedEvent } from '../../events/event.js';
import type { AppendResult, EventStore } from '../../store/event-store.js';
import { collect, event, ids } from '../assertions.js';
import type { CaseGroup } from '../case.js';
import type { HeldAppend, OpenedStore } from '../fixture.js';

const holdWindowMs = 300;

/** A subscriber's loop reduced to its core: read from the checkpoint, advance it to the last event seen. */
class TailingReader {
  readonly seen: RecordedEvent[] = [];
  constructor(
    private readonly store: EventStore,
    private checkpoint: number,
  ) {}

  async poll(): Promise<RecordedEvent[]> {
    const batch = await collect(this.store.readAll({ from: this.checkpoint + 1 }));
    const last = batch[batch.length - 1];
    if (last) this.checkpoint = last.position;
    this.seen.push(...batch);
    return batch;
  }

  /** Polls until `done` holds of everything seen, or fails after `timeoutMs`. */
  async until(done: (seen: RecordedEvent[]) => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.seen)) {
      if (Date.now() > deadline) expect.fail(`the reader saw only ${JSON.stringify(ids(this.seen))}`);
      await this.poll();
      await sleep(20);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls for the hold window, asserting the reader sees nothing past its checkpoint all the while. */
async function expectReaderWaits(
  reader: TailingReader,
  store: EventStore,
  checkpoint: number,
): Promise<void> {
  const until = Date.now() + holdWindowMs;
  while (Date.now() < until) {
    expect(ids(await reader.poll()), 'events seen past a held append').toEqual([]);
    expect(await store.headPosition(), 'headPosition past a held append').toBe(checkpoint);
    await sleep(25);
  }
}

function hold(log: OpenedStore, streamId: string): Promise<HeldAppend> {
  const holdAppend = log.holdAppend?.bind(log);
  if (!holdAppend) throw new Error('holdAppend is required');
  return holdAppend(streamId, [{ type: 'Held', data: { held: true } }]);
}

export const ordering: CaseGroup = {
  name: 'order under concurrent commits',
  cases: [
    {
      title:
        'a tailing reader does not pass a held append while later appends commit, then sees both in order',
      needs: ['holdAppend'],
      async run(log) {
        const { store } = log;
        const before = await store.appendToStream('before', [event('before')]);
        const reader = new TailingReader(store, before.position);
        const held = await hold(log, 'held');
        // Not awaited: an adapter may let it commit at once or make it wait for the held one; both are fine.
        const later: Promise<AppendResult> = store.appendToStream('later', [event('later')]);
        later.catch(() => {});
        await expectReaderWaits(reader, store, before.position);
        const heldResult = await held.commit();
        const laterResult = await later;
        expect(heldResult.position).toBeLessThan(laterResult.position);
        await reader.until((seen) => seen.length >= 2);
        expect(reader.seen.map((e) => [e.streamId, e.position])).toEqual([
          ['held', heldResult.position],
          ['later', laterResult.position],
        ]);
        expect(await store.headPosition()).toBe(laterResult.position);
      },
    },
    {
      title: 'a rolled-back held append never stalls readers: they move past its gap',
      needs: ['holdAppend'],
      async run(log) {
        const { store } = log;
        const before = await store.appendToStream('before', [event('before')]);
        const reader = new TailingReader(store, before.position);
        const held = await hold(log, 'held');
        const later = store.appendToStream('later', [event('later')]);
        later.catch(() => {});
        await expectReaderWaits(reader, store, before.position);
        await held.rollback();
        const laterResult = await later;
        await reader.until((seen) => seen.length >= 1);
        expect(ids(reader.seen)).toEqual(['later']);
        expect(await store.streamVersion('held')).toBe(0);
        expect(await store.headPosition()).toBe(laterResult.position);
        const next = await store.appendToStream('after', [event('after')]);
        await reader.until((seen) => seen.length >= 2);
        expect(reader.seen.map((e) => e.position)).toEqual([laterResult.position, next.position]);
      },
    },
  ],
};
