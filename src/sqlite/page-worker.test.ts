import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../events/event.js';
import { PageWorker } from './page-worker.js';
import { createSqliteEventStore, type SqliteEventStore } from './store.js';

const columns = 'position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at';

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for await (const e of events) all.push(e);
  return all;
}

describe('reads on the page worker', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function fileStore(): { store: SqliteEventStore; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-pages-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'events.sqlite');
    const store = createSqliteEventStore({ file, durability: 'normal' });
    cleanup.push(() => store.close());
    return { store, file };
  }

  async function seed(store: SqliteEventStore): Promise<void> {
    const odd = {
      text: 'ünïcödé \u2028 "quoted" \\ back\nslash',
      nested: [1, 2.5, null, { deep: true }],
      big: 2 ** 52,
    };
    for (let i = 0; i < 7; i++) {
      await store.appendToStream(
        i % 2 ? 'long' : `short-${i}`,
        Array.from({ length: 1000 }, (_, k) => ({
          type: k % 3 ? 'Deposited' : 'Withdrawn',
          data: { k, i, ...(k % 250 === 0 ? odd : {}) },
          metadata: { actor: `a-${k % 7}`, correlationId: `c-${i}-${k}` },
        })),
      );
    }
  }

  it('gives the same events as one read in the main thread, for the log, filters, and a stream both ways', async () => {
    const { store } = fileStore();
    await seed(store);
    const here = (o: object) => ({ ...o, batchSize: 100_000 });
    const reads: [string, (o: object) => AsyncIterable<RecordedEvent>, object][] = [
      ['readAll', (o) => store.readAll(o), {}],
      ['readAll by type and prefix', (o) => store.readAll(o), { types: ['Withdrawn'], streamPrefix: 'lo' }],
      ['readAll as of a position', (o) => store.readAll(o), { from: 10, asOf: { position: 5_500 } }],
      ['readStream', (o) => store.readStream('long', o), {}],
      ['readStream backwards', (o) => store.readStream('long', o), { direction: 'backwards' }],
    ];
    for (const [what, read, options] of reads) {
      const expected = await collect(read(here(options)));
      const paged = await collect(read(options));
      expect(paged.length, what).toBe(expected.length);
      expect(paged, what).toEqual(expected);
    }
    expect((await collect(store.readAll())).length).toBe(7_000);
  });

  it('cuts a page at its size in bytes and says so, so the reader asks again for the rest', async () => {
    const { store, file } = fileStore();
    await seed(store);
    const worker = new PageWorker(file);
    cleanup.push(() => worker.close());
    const sql = `SELECT ${columns} FROM events WHERE position >= ? ORDER BY position LIMIT ?`;
    const whole = await worker.read(sql, 'position', [1, 1000], 64 * 1024 * 1024);
    expect(whole).toMatchObject({ rows: 1000, truncated: false });
    const cut = await worker.read(sql, 'position', [1, 1000], 10_000);
    expect(cut.truncated).toBe(true);
    expect(cut.rows).toBeGreaterThan(0);
    expect(cut.rows).toBeLessThan(1000);
    const rows = JSON.parse(cut.text) as unknown[][];
    expect(rows).toEqual((JSON.parse(whole.text) as unknown[][]).slice(0, cut.rows));
  });

  it('fails a read with the error the database gave, and a closed worker refuses reads', async () => {
    const { file } = fileStore();
    const worker = new PageWorker(file);
    await expect(worker.read('SELECT nonsense FROM nowhere', 'x', [], 1000)).rejects.toThrow(/no such table/);
    await worker.close();
    await expect(
      worker.read(`SELECT ${columns} FROM events LIMIT ?`, 'position', [1], 1000),
    ).rejects.toThrow();
    expect(worker.usable).toBe(false);
  });
});
