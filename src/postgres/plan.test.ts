import { describe, expect, it } from 'vitest';
import { prepareEvents } from '../events/prepare.js';
import type { StoredIdentity } from '../store/idempotency.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { planAppend } from './plan.js';

function append(streamId: string, ids: string[], expectedVersion: PreparedAppend['expectedVersion'] = 'any') {
  return {
    streamId,
    expectedVersion,
    events: prepareEvents(
      streamId,
      ids.map((id) => ({ id, type: 'T', data: id })),
    ),
  };
}

function stored(streamId: string, id: string, streamVersion: number, position: number): StoredIdentity {
  return { id, streamId, streamVersion, position, type: 'T', data: JSON.stringify(id) };
}

describe('planAppend', () => {
  it('numbers new events after each stream version, and places them by the last position taken', () => {
    const plan = planAppend([append('a', ['a1', 'a2']), append('b', ['b1'], 0)], {
      versions: new Map([['a', 3]]),
      stored: [],
    });
    if (plan.kind !== 'write') throw new Error('expected a write');
    expect(plan.rows.versions).toEqual([4, 5, 1]);
    expect(plan.rows.streamIds).toEqual(['a', 'a', 'b']);
    expect(plan.results('12')).toEqual([
      { streamId: 'a', streamVersion: 5, position: 11 },
      { streamId: 'b', streamVersion: 1, position: 12 },
    ]);
  });

  it('answers a retry with the stored result before looking at versions', () => {
    const plan = planAppend([append('a', ['a1', 'a2'], 'no_stream')], {
      versions: new Map([['a', 2]]),
      stored: [stored('a', 'a2', 2, 8), stored('a', 'a1', 1, 7)],
    });
    expect(plan).toEqual({ kind: 'retry', results: [{ streamId: 'a', streamVersion: 2, position: 8 }] });
  });

  it('names a later id that is already stored when the first is new', () => {
    expect(() =>
      planAppend([append('a', ['new', 'taken'])], {
        versions: new Map(),
        stored: [stored('x', 'taken', 1, 1)],
      }),
    ).toThrow(
      expect.objectContaining({ code: 'DuplicateEventId', message: expect.stringContaining('taken') }),
    );
  });

  it('refuses a wrong expected version with the facts, and a position past 2^53 - 1', () => {
    expect(() => planAppend([append('a', ['a1'], 1)], { versions: new Map(), stored: [] })).toThrow(
      expect.objectContaining({ code: 'WrongExpectedVersion', streamId: 'a', expected: 1, actual: 0 }),
    );
    const plan = planAppend([append('a', ['a1'])], { versions: new Map(), stored: [] });
    if (plan.kind !== 'write') throw new Error('expected a write');
    expect(() => plan.results('9007199254740992')).toThrow(
      expect.objectContaining({ code: 'PositionOverflow' }),
    );
  });
});
