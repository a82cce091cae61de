import { expect } from 'vitest';
import type { EventStore } from '../../store/event-store.js';
import { collect, event, events, expectConsistentLog, ids } from '../assertions.js';
import type { CaseGroup } from '../case.js';
import { WriterProcess } from '../writer-process.js';
import type { WriterAck, WriterEventData } from '../writer-protocol.js';

const runs = 5;

/** Every acknowledged append is stored where its result said, and every batch is stored whole or not at all. */
async function expectSurvivors(store: EventStore, acks: readonly WriterAck[]): Promise<void> {
  const log = await collect(store.readAll());
  expectConsistentLog(log);
  const byBatch = new Map<string, WriterEventData[]>();
  for (const e of log) {
    const data = e.data as unknown as WriterEventData;
    const batch = byBatch.get(data.batch) ?? [];
    batch.push(data);
    byBatch.set(data.batch, batch);
  }
  for (const [batch, stored] of byBatch) {
    const size = stored[0]?.size ?? 0;
    const indices = stored.map((d) => d.index).sort((a, b) => a - b);
    expect(indices, `batch ${batch} is stored in part`).toEqual(Array.from({ length: size }, (_, i) => i));
  }
  const byId = new Map(log.map((e) => [e.id, e]));
  for (const ack of acks) {
    for (const { streamId, ids: acked, result } of ack.parts) {
      const stored = acked.map((id) => byId.get(id));
      expect(
        stored.map((e) => e && [e.streamId, e.streamVersion]),
        `acknowledged batch ${ack.batch}`,
      ).toEqual(acked.map((_, i) => [streamId, result.streamVersion - acked.length + 1 + i]));
      expect(stored[stored.length - 1]?.position).toBe(result.position);
    }
  }
}

export const durability: CaseGroup = {
  name: 'durability',
  cases: [
    {
      title: `every acknowledged append survives kill -9 of its writer process (${runs} runs), no batch in part`,
      needs: ['child'],
      timeoutMs: 40_000,
      async run(log) {
        const child = log.child as NonNullable<typeof log.child>;
        const acks: WriterAck[] = [];
        let next = new WriterProcess(child, 'r0');
        try {
          for (let run = 0; run < runs; run++) {
            const writer = next;
            const killed = writer.writeUntilKilled(200 + Math.floor(Math.random() * 600));
            // The next writer opens the store while this one works, and is live on the file when it dies.
            if (run + 1 < runs) next = new WriterProcess(child, `r${run + 1}`);
            acks.push(...(await killed));
            const reopened = await log.reopen();
            try {
              await expectSurvivors(reopened, acks);
            } finally {
              await reopened.close();
            }
          }
        } finally {
          next.stop();
        }
        expect(acks.length, 'appends acknowledged across the runs').toBeGreaterThanOrEqual(runs);
        // The store that stayed open through the crashes sees the same log and appends after it.
        await expectSurvivors(log.store, acks);
        const head = await log.store.headPosition();
        const version = await log.store.streamVersion('crash-0');
        const after = await log.store.appendToStream('crash-0', [event('after-crashes')], {
          expectedVersion: version,
        });
        expect(after).toMatchObject({ streamId: 'crash-0', streamVersion: version + 1 });
        expect(after.position).toBeGreaterThan(head);
      },
    },
    {
      title: 'a store opened again on the log reads what the first wrote, and carries on its versions',
      async run(log) {
        const first = await log.store.appendToStream('s', events('e', 3));
        const second = await log.reopen();
        try {
          expect(await collect(second.readAll())).toEqual(await collect(log.store.readAll()));
          expect(await second.headPosition()).toBe(first.position);
          const next = await second.appendToStream('s', [event('from-second')], { expectedVersion: 3 });
          expect(next.streamVersion).toBe(4);
          expect(ids(await collect(log.store.readStream('s', { from: 4 })))).toEqual(['from-second']);
        } finally {
          await second.close();
        }
      },
    },
  ],
};
