import { describe, expect, it } from 'vitest';
import { checkReadAllOptions, checkReadStreamOptions, inBatches } from './read-options.js';

/** A source of the numbers 1..total that records how many rows each fetch asked for. */
function numbers(total: number, async = false) {
  const asked: number[] = [];
  let next = 1;
  const fetch = (count: number) => {
    asked.push(count);
    const rows: number[] = [];
    while (rows.length < count && next <= total) rows.push(next++);
    return async ? new Promise<number[]>((resolve) => setTimeout(() => resolve(rows), 1)) : rows;
  };
  return { fetch, asked };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('inBatches', () => {
  it('yields every row in order and stops after a short batch', async () => {
    const { fetch, asked } = numbers(25);
    expect(await collect(inBatches(fetch, Number.MAX_SAFE_INTEGER, 10))).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    expect(asked).toEqual([10, 10, 10]);
  });

  it('asks for no more than the limit, and fetches nothing before the first next()', async () => {
    const { fetch, asked } = numbers(100);
    const rows = inBatches(fetch, 15, 10);
    expect(asked).toEqual([]);
    expect(await collect(rows)).toHaveLength(15);
    expect(asked).toEqual([10, 5]);
    expect(await collect(inBatches(numbers(5).fetch, 0, 10))).toEqual([]);
  });

  it('stops fetching when the reader breaks off', async () => {
    const { fetch, asked } = numbers(100);
    const rows = inBatches(fetch, Number.MAX_SAFE_INTEGER, 10);
    for await (const n of rows) if (n === 3) break;
    expect(await rows[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
    expect(asked).toEqual([10]);
  });

  it('serves next() calls made while a batch is on its way in order', async () => {
    const { fetch } = numbers(5, true);
    const rows = inBatches(fetch, Number.MAX_SAFE_INTEGER, 2);
    const results = await Promise.all(Array.from({ length: 7 }, () => rows.next()));
    expect(results.map((r) => (r.done ? 'done' : r.value))).toEqual([1, 2, 3, 4, 5, 'done', 'done']);
  });

  it('passes a failed fetch to the reader, then ends', async () => {
    let calls = 0;
    const rows = inBatches<number>(
      () => {
        calls++;
        throw new Error('disk on fire');
      },
      Number.MAX_SAFE_INTEGER,
      10,
    );
    await expect(rows.next()).rejects.toThrow('disk on fire');
    expect(await rows.next()).toEqual({ value: undefined, done: true });
    expect(calls).toBe(1);
  });

  it('grows its batches after each full one, up to the bound, and never past the limit', async () => {
    const { fetch, asked } = numbers(1000);
    expect(await collect(inBatches(fetch, 900, 10, false, 80))).toHaveLength(900);
    expect(asked).toEqual([10, 20, 40, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 30]);
    const fixed = numbers(100);
    await collect(inBatches(fixed.fetch, Number.MAX_SAFE_INTEGER, 30));
    expect(fixed.asked).toEqual([30, 30, 30, 30]);
  });
});

describe('read options', () => {
  it('grow the batches of a long read only when the caller chose no batchSize', () => {
    expect(checkReadAllOptions({})).toMatchObject({ batchSize: 1000, maxBatchSize: 5000 });
    expect(checkReadAllOptions({ batchSize: 200 })).toMatchObject({ batchSize: 200, maxBatchSize: 200 });
    expect(checkReadStreamOptions({})).toMatchObject({ batchSize: 1000, maxBatchSize: 5000 });
    expect(checkReadStreamOptions({ batchSize: 7 })).toMatchObject({ batchSize: 7, maxBatchSize: 7 });
  });
});

describe('inBatches asking ahead', () => {
  it('keeps as many fetches in flight as asked once a batch came back full, and none past the end', async () => {
    let inFlight = 0;
    let most = 0;
    const asked: number[] = [];
    let next = 1;
    const total = 95;
    const fetch = async (count: number) => {
      asked.push(count);
      const from = next;
      next += count;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return Array.from({ length: Math.max(0, Math.min(count, total - from + 1)) }, (_, i) => from + i);
    };
    const rows = await collect(inBatches(fetch, Number.MAX_SAFE_INTEGER, 10, 2));
    expect(rows).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(most).toBe(2);
    expect(asked.slice(0, 3)).toEqual([10, 10, 10]);
  });

  it('a fetch asked ahead that fails fails only when its batch is reached', async () => {
    let calls = 0;
    const rows = inBatches<number>(
      (count) => {
        calls++;
        if (calls === 2) throw new Error('second batch lost');
        return Array.from({ length: count }, (_, i) => i);
      },
      Number.MAX_SAFE_INTEGER,
      3,
      1,
    );
    expect((await rows.next()).value).toBe(0);
    expect((await rows.next()).value).toBe(1);
    expect((await rows.next()).value).toBe(2);
    await expect(rows.next()).rejects.toThrow('second batch lost');
  });
});
