import { expect } from 'vitest';
import { collect, event, expectCode, expectNothingStored, ids } from '../assertions.js';
import type { CaseGroup } from '../case.js';

const limit = 1024 * 1024;

const unicodeStreams = [
  'emoji-😀🎉-👨‍👩‍👧-🏳️‍🌈',
  'rtl-שלום-مرحبا-\u202eevil',
  'combining-e\u0301-a\u0308\u0323',
  'norm-\u00e9',
  'norm-e\u0301',
  'cjk-漢字-かな-한국어',
  'zero-width-a\u200bb\u200dc',
  'astral-𝕳𝖎𝖓𝖉𝖘𝖎𝖌𝖍𝖙-\u{10ffff}',
];

const unicodeData = {
  nul: 'before\u0000after',
  controls: '\t\n\r\u0001\u001f\u007f\u0085',
  emoji: '😀👍🏽👨‍👩‍👧',
  rtl: 'עברית العربية \u202b mixed \u202c',
  combining: 'Z\u0351\u0334\u0317a\u0300\u0301\u0302',
  quotes: `"'\\\`</script>`,
  astral: '𝄞\u{1f600}\u{10ffff}',
  'key with 😀 and עברית': ['ключ', 'é', 'e\u0301'],
};

/** A string of exactly `bytes` bytes of UTF-8, mixing 1-, 2-, 3- and 4-byte characters. */
function utf8String(bytes: number): string {
  const unit = 'aé€😀'; // 1 + 2 + 3 + 4 = 10 bytes
  const text = unit.repeat(Math.floor(bytes / 10)) + 'a'.repeat(bytes % 10);
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

/** Data whose JSON, with metadata `{}`, takes exactly `bytes` bytes: the measure the size limit uses. */
function dataOfSize(bytes: number): { blob: string } {
  const overhead = Buffer.byteLength(JSON.stringify({ blob: '' })) + Buffer.byteLength(JSON.stringify({}));
  return { blob: utf8String(bytes - overhead) };
}

export const payloads: CaseGroup = {
  name: 'unicode and large payloads',
  cases: [
    {
      title: 'unicode stream ids, types, ids, data and metadata round-trip exactly, and filters match them',
      async run({ store }) {
        for (const [i, streamId] of unicodeStreams.entries()) {
          await store.appendToStream(streamId, [
            {
              id: `id-${i}-😀`,
              type: `Ünïcödé-${i}-😀`,
              data: unicodeData,
              metadata: { actor: 'ädä 😀', מפתח: 'ערך' },
            },
          ]);
        }
        for (const [i, streamId] of unicodeStreams.entries()) {
          const [read] = await collect(store.readStream(streamId));
          expect(read).toMatchObject({
            id: `id-${i}-😀`,
            streamId,
            streamVersion: 1,
            type: `Ünïcödé-${i}-😀`,
            data: unicodeData,
            metadata: { actor: 'ädä 😀', מפתח: 'ערך' },
          });
          expect(await store.streamVersion(streamId)).toBe(1);
        }
        // Precomposed and combining spellings are different streams: ids are compared as given, not normalised.
        expect(ids(await collect(store.readStream('norm-\u00e9')))).toEqual(['id-3-😀']);
        expect(ids(await collect(store.readStream('norm-e\u0301')))).toEqual(['id-4-😀']);
        expect(ids(await collect(store.readAll({ streamPrefix: 'norm-e' })))).toEqual(['id-4-😀']);
        expect(ids(await collect(store.readAll({ streamPrefix: 'emoji-😀' })))).toEqual(['id-0-😀']);
        expect(ids(await collect(store.readAll({ streamPrefix: 'combining-e\u0301' })))).toEqual(['id-2-😀']);
        expect(ids(await collect(store.readAll({ streamPrefix: 'astral-𝕳' })))).toEqual(['id-7-😀']);
        expect(ids(await collect(store.readAll({ types: ['Ünïcödé-1-😀', 'Ünïcödé-5-😀'] })))).toEqual([
          'id-1-😀',
          'id-5-😀',
        ]);
      },
    },
    {
      title:
        'an event of exactly 1 MiB (data and metadata as JSON) round-trips; one byte more is EventTooLarge',
      timeoutMs: 20_000,
      async run({ store }) {
        const largest = dataOfSize(limit);
        const result = await store.appendToStream('big', [
          { id: 'largest', type: 'Big', data: largest, metadata: {} },
          { id: 'second', type: 'Big', data: dataOfSize(limit - 1), metadata: {} },
        ]);
        expect(result.streamVersion).toBe(2);
        const [first, second] = (await collect(store.readAll({ batchSize: 1 }))).map(
          (e) => e.data as { blob: string },
        );
        // Compared as strings, not through a diff: a 1 MiB mismatch should fail fast and briefly.
        expect(first?.blob === largest.blob, 'the largest event round-trips').toBe(true);
        expect(Buffer.byteLength(second?.blob ?? '')).toBe(Buffer.byteLength(largest.blob) - 1);
        await expectNothingStored(store, async () => {
          await expectCode(
            () =>
              store.appendToStream('big', [
                event('fits'),
                { type: 'Big', data: dataOfSize(limit + 1), metadata: {} },
              ]),
            'EventTooLarge',
            /event 1/,
            /1048577/,
          );
          await expectCode(
            () =>
              store.appendToStream('big', [
                { type: 'Big', data: { small: true }, metadata: { note: utf8String(limit) } },
              ]),
            'EventTooLarge',
          );
        });
      },
    },
  ],
};
