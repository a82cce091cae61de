import fc from 'fast-check';
import { expect } from 'vitest';
import type { ExpectedVersion, RecordedEvent } from '../../events/event.js';
import type { AppendResult, EventStore } from '../../store/event-store.js';
import { collect, expectConsistentLog } from '../assertions.js';
import type { CaseGroup } from '../case.js';

interface Part {
  stream: number;
  expected: ExpectedVersion;
  count: number;
}

const streamsPerRun = 3;

const part: fc.Arbitrary<Part> = fc.record({
  stream: fc.integer({ min: 0, max: streamsPerRun - 1 }),
  expected: fc.oneof(
    fc.constantFrom<ExpectedVersion>('any', 'no_stream', 'stream_exists'),
    fc.integer({ min: 0, max: 8 }),
  ),
  count: fc.integer({ min: 1, max: 3 }),
});

// An append is one part (appendToStream) or two on different streams (appendToStreams).
const append = fc.uniqueArray(part, { minLength: 1, maxLength: 2, selector: (p) => p.stream });
// Rounds run one after another; the appends of a round run concurrently.
const rounds = fc.array(fc.array(append, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 });

function satisfies(expected: ExpectedVersion, before: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return before === 0;
  if (expected === 'stream_exists') return before > 0;
  return expected === before;
}

interface Outcome {
  parts: { streamId: string; expected: ExpectedVersion; ids: string[] }[];
  result: AppendResult[] | undefined;
  error: { code?: unknown; streamId?: unknown; expected?: unknown; actual?: unknown } | undefined;
}

async function play(store: EventStore, run: number, plan: Part[][][]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const [r, round] of plan.entries()) {
    const launched = round.map(async (parts, a): Promise<Outcome> => {
      const appends = parts.map((p, k) => ({
        streamId: `model-${run}-${p.stream}`,
        expectedVersion: p.expected,
        events: Array.from({ length: p.count }, (_, i) => ({
          id: `m${run}.${r}.${a}.${k}.${i}`,
          type: 'Modelled',
          data: { i },
        })),
      }));
      const outcome: Outcome = {
        parts: appends.map((x) => ({
          streamId: x.streamId,
          expected: x.expectedVersion,
          ids: x.events.map((e) => e.id),
        })),
        result: undefined,
        error: undefined,
      };
      const [only] = appends;
      try {
        outcome.result =
          appends.length === 1 && only
            ? [
                await store.appendToStream(only.streamId, only.events, {
                  expectedVersion: only.expectedVersion,
                }),
              ]
            : await store.appendToStreams(appends);
      } catch (error) {
        outcome.error = error as Outcome['error'];
      }
      return outcome;
    });
    outcomes.push(...(await Promise.all(launched)));
  }
  return outcomes;
}

function check(outcomes: Outcome[], log: RecordedEvent[]): void {
  expectConsistentLog(log);
  const byId = new Map(log.map((e) => [e.id, e]));
  const acknowledged = new Map<string, number>();
  for (const { parts, result, error } of outcomes) {
    if (result) {
      parts.forEach(({ streamId, expected, ids }, k) => {
        const { streamVersion, position } = result[k] as AppendResult;
        const stored = ids.map((id) => byId.get(id));
        expect(stored.map((e) => e && [e.streamId, e.streamVersion])).toEqual(
          ids.map((_, i) => [streamId, streamVersion - ids.length + 1 + i]),
        );
        expect(stored[stored.length - 1]?.position).toBe(position);
        // The check held against the version the stream had just before this append.
        expect(satisfies(expected, streamVersion - ids.length), `${streamId} expected ${expected}`).toBe(
          true,
        );
        acknowledged.set(streamId, (acknowledged.get(streamId) ?? 0) + ids.length);
      });
    } else {
      expect(error?.code).toBe('WrongExpectedVersion');
      const part = parts.find((p) => p.streamId === error?.streamId);
      expect(
        part,
        `the conflict names one of the append's streams: ${String(error?.streamId)}`,
      ).toBeDefined();
      expect(error?.expected).toBe(part?.expected);
      expect(satisfies(part?.expected ?? 'any', error?.actual as number)).toBe(false);
      for (const { ids } of parts)
        for (const id of ids) expect(byId.has(id), `${id} of a refused append`).toBe(false);
    }
  }
  const stored = new Map<string, number>();
  for (const e of log) if (e.streamId.startsWith('model-')) stored.set(e.streamId, e.streamVersion);
  expect(stored).toEqual(acknowledged);
}

export const model: CaseGroup = {
  name: 'model',
  cases: [
    {
      title: 'random concurrent appends, some stale, leave the log a model of exactly the acknowledged ones',
      timeoutMs: 30_000,
      async run({ store }) {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(rounds, async (plan) => {
            run++;
            const outcomes = await play(store, run, plan);
            const log = await collect(store.readAll());
            check(
              outcomes,
              log.filter((e) => e.streamId.startsWith(`model-${run}-`)),
            );
            expectConsistentLog(log);
          }),
          { numRuns: 40 },
        );
      },
    },
  ],
};
