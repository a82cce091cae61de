import { describe, expect, it } from 'vitest';
import type { PreparedEvent } from '../events/prepare.js';
import { resolveRetries, resolveRetry, type StoredIdentity } from './idempotency.js';

const prepared = (id: string, data = '{"n":1}', type = 'T'): PreparedEvent => ({
  id,
  type,
  schemaVersion: 1,
  data,
  metadata: '{}',
});

const stored = (id: string, streamVersion: number, over: Partial<StoredIdentity> = {}): StoredIdentity => ({
  id,
  streamId: 's',
  streamVersion,
  position: streamVersion + 10,
  type: 'T',
  data: '{"n":1}',
  ...over,
});

describe('resolveRetry', () => {
  it('is a new append when none of its ids is stored', () => {
    expect(resolveRetry('s', [prepared('a')], [])).toBeUndefined();
  });

  it('answers a retry with the stored result of its last event, whatever the order of `stored`', () => {
    const result = resolveRetry('s', [prepared('a'), prepared('b')], [stored('b', 2), stored('a', 1)]);
    expect(result).toEqual({ streamId: 's', streamVersion: 2, position: 12 });
  });

  it('takes data equal as JSON, keys in another order, as the same', () => {
    const result = resolveRetry(
      's',
      [prepared('a', '{"x":1,"y":[1,2]}')],
      [stored('a', 1, { data: '{"y":[1,2],"x":1}' })],
    );
    expect(result?.streamVersion).toBe(1);
  });

  it('refuses with DuplicateEventId when the stored event differs or belongs to another append', () => {
    const cases: [PreparedEvent[], StoredIdentity[], RegExp][] = [
      [[prepared('a', '{"n":2}')], [stored('a', 1)], /different data/],
      [[prepared('a', '{"n":1}', 'U')], [stored('a', 1)], /type T, not U/],
      [[prepared('a')], [stored('a', 1, { streamId: 'other' })], /stream "other"/],
      [[prepared('a'), prepared('new')], [stored('a', 1)], /not a retry/],
      [[prepared('b'), prepared('a')], [stored('a', 1), stored('b', 2)], /not in the same append/],
      [[prepared('a'), prepared('c')], [stored('a', 1), stored('c', 3)], /not in the same append/],
    ];
    for (const [events, found, problem] of cases) {
      expect(() => resolveRetry('s', events, found)).toThrow(problem);
      try {
        resolveRetry('s', events, found);
      } catch (error) {
        expect(error).toMatchObject({ code: 'DuplicateEventId' });
      }
    }
  });
});

describe('resolveRetries', () => {
  const a = { streamId: 'a', streamVersion: 1, position: 1 };
  const b = { streamId: 'b', streamVersion: 4, position: 2 };

  it('is the first results when every stream is a retry, and a new append when none is', () => {
    expect(resolveRetries([a, b], ['a', 'b'])).toEqual([a, b]);
    expect(resolveRetries([undefined, undefined], ['a', 'b'])).toBeUndefined();
  });

  it('refuses an append whose streams are partly stored already, naming them', () => {
    expect(() => resolveRetries([a, undefined], ['a', 'c'])).toThrow(/^streams "a": .*not a retry/);
  });
});
