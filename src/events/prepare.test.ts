import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { checkStreamId, prepareEvents } from './prepare.js';

function refusal(action: () => unknown): InvalidInputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('checkStreamId', () => {
  it('accepts up to 200 characters of well-formed text, emoji and combining marks included', () => {
    for (const id of ['a', 'x'.repeat(200), 'emoji-😀', 'e\u0301', 'rtl-שלום'])
      expect(checkStreamId(id)).toBe(id);
  });

  it('refuses empty, too long, non-string, control characters and lone surrogates, saying which', () => {
    const cases: [unknown, RegExp][] = [
      ['', /must not be empty/],
      ['x'.repeat(201), /201 characters long; at most 200/],
      [7, /must be a string, got number/],
      ['a\tb', /control character U\+0009 at index 1/],
      ['a\u0085', /control character U\+0085/],
      ['a\ud83d', /lone surrogate .* at index 1/],
    ];
    for (const [id, problem] of cases) {
      const error = refusal(() => checkStreamId(id, 'appendToStream, streamId'));
      expect(error.code).toBe('InvalidStreamId');
      expect(error.where).toBe('appendToStream, streamId');
      expect(error.problem).toMatch(problem);
    }
  });
});

describe('prepareEvents', () => {
  it('serializes data and metadata, defaults schemaVersion to 1 and metadata to {}, and generates ids', () => {
    const [given, generated] = prepareEvents('s', [
      { id: 'e-1', type: 'Opened', data: { owner: 'ada' }, metadata: { actor: 'ada' }, schemaVersion: 2 },
      { type: 'Noted', data: 'text' },
    ]);
    expect(given).toEqual({
      id: 'e-1',
      type: 'Opened',
      schemaVersion: 2,
      data: '{"owner":"ada"}',
      metadata: '{"actor":"ada"}',
    });
    expect(generated).toMatchObject({ type: 'Noted', schemaVersion: 1, data: '"text"', metadata: '{}' });
    expect(generated?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts the size limit in UTF-8 bytes of data plus metadata, the limit itself allowed', () => {
    const limits = { maxEventBytes: 20 };
    // '"éééé"' is 10 bytes and {} is 2: 12; eight é make 20 exactly, nine make 22.
    expect(() =>
      prepareEvents('s', [{ type: 'T', data: 'é'.repeat(8), metadata: {} }], limits),
    ).not.toThrow();
    const error = refusal(() => prepareEvents('s', [{ type: 'T', data: 'é'.repeat(9) }], limits));
    expect(error.code).toBe('EventTooLarge');
    expect(error.problem).toBe('data and metadata take 22 bytes as JSON; the limit is 20');
  });

  it('names the stream, the event index and the field of each fault', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ data: 1 }, 'stream "s", event 1, field type', /must be a string/],
      [{ type: 'T' }, 'stream "s", event 1 (T), field data', /is missing/],
      [{ type: 'T', data: { f: Math.max } }, 'stream "s", event 1 (T)', /data\.f: a function/],
      [{ type: 'T', data: 1, metadata: [] }, 'stream "s", event 1 (T), field metadata', /must be an object/],
      [{ type: 'T', data: 1, schemaVersion: 0 }, 'stream "s", event 1 (T), field schemaVersion', /positive/],
      [{ type: 'T', data: 1, id: '' }, 'stream "s", event 1 (T), field id', /must not be empty/],
      [null, 'stream "s", event 1', /must be an object/],
    ];
    for (const [bad, where, problem] of cases) {
      const error = refusal(() => prepareEvents('s', [{ type: 'Good', data: 1 }, bad as never]));
      expect([error.code, error.where]).toEqual(['InvalidEvent', where]);
      expect(error.problem).toMatch(problem);
    }
  });

  it('refuses an id used twice, within one call or across the calls that share seenIds', () => {
    expect(
      refusal(() =>
        prepareEvents('s', [
          { id: 'x', type: 'T', data: 1 },
          { id: 'x', type: 'T', data: 2 },
        ]),
      ).code,
    ).toBe('DuplicateEventId');
    const seen = new Set<string>();
    prepareEvents('a', [{ id: 'x', type: 'T', data: 1 }], undefined, seen);
    const error = refusal(() => prepareEvents('b', [{ id: 'x', type: 'T', data: 1 }], undefined, seen));
    expect([error.code, error.where]).toEqual(['DuplicateEventId', 'stream "b", event 0 (T), field id']);
  });

  it('refuses an empty list and a non-list', () => {
    expect(refusal(() => prepareEvents('s', [])).problem).toMatch(/at least one event/);
    expect(refusal(() => prepareEvents('s', {} as never)).problem).toMatch(/must be an array/);
  });
});
