import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../events/event.js';
import { RangePages } from './ranges.js';

const eventAt = (position: number) => ({ position }) as RecordedEvent;

/** A log whose events sit at `positions` (ascending), read by ranges as the store reads them. */
function log(positions: readonly number[]) {
  let reading = 0;
  let most = 0;
  const read = async (from: number, to: number, limit: number) => {
    reading++;
    most = Math.max(most, reading);
    await new Promise((resolve) => setTimeout(resolve, 0));
    reading--;
    return positions
      .filter((p) => p >= from && p <= to)
      .slice(0, limit)
      .map(eventAt);
  };
  return { read, most: () => most };
}

async function drain(pages: RangePages, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const batch = await pages.take(count);
    seen.push(...batch.map((e) => e.position));
    if (batch.length < count) return seen;
  }
}

describe('RangePages', () => {
  it('reads every event of the stretch once, in order, two ranges at a time', async () => {
    const positions = Array.from({ length: 1000 }, (_, i) => i + 1);
    const source = log(positions);
    expect(await drain(new RangePages(source.read, 1, 1000, 100), 100)).toEqual(positions);
    expect(source.most()).toBe(2);
  });

  it('widens past gaps and filters, reads a dense stretch after a sparse one whole, and ends at `to`', async () => {
    const sparse = Array.from({ length: 30 }, (_, i) => 1 + i * 1000);
    const dense = Array.from({ length: 500 }, (_, i) => 40_000 + i);
    const beyond = [50_000, 50_001];
    const source = log([...sparse, ...dense, ...beyond]);
    expect(await drain(new RangePages(source.read, 1, 45_000, 50), 50)).toEqual([...sparse, ...dense]);
  });

  it('crosses a gap of 2^53 positions in a few dozen reads', async () => {
    let reads = 0;
    const far = 2 ** 53 - 10;
    const source = log([1, 2, far]);
    const pages = new RangePages(
      (from, to, limit) => {
        reads++;
        return source.read(from, to, limit);
      },
      1,
      far,
      1000,
    );
    expect(await drain(pages, 1000)).toEqual([1, 2, far]);
    expect(reads).toBeLessThan(120);
  });

  it('property: any positions, any stretch and sizes: exactly the events of the stretch, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        async (unsorted, from, length, rows, count) => {
          const positions = [...unsorted].sort((a, b) => a - b);
          const to = from + length;
          const got = await drain(new RangePages(log(positions).read, from, to, rows), count);
          expect(got).toEqual(positions.filter((p) => p >= from && p <= to));
        },
      ),
      { numRuns: 150 },
    );
  });
});
