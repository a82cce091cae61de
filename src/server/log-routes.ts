import { z } from 'zod';
import { deriveEventId } from '../commands/event-ids.js';
import { WrongExpectedVersionError } from '../events/errors.js';
import type { ExpectedVersion, NewEvent, RecordedEvent } from '../events/event.js';
import { eventJson } from './event-json.js';
import { preconditionFailed, problemOf } from './problems.js';
import type { RouteModule } from './routes.js';
import { eventTypes, jsonValue, pageLimit, position, recordedEventSchema, streamPrefix } from './schemas.js';

const streamParams = z.object({
  streamId: z.string().describe('The stream’s id (percent-encoded in the path)'),
});

const page = z.object({
  events: z.array(recordedEventSchema),
  next: z
    .number()
    .int()
    .nullable()
    .describe('Pass as `from` for the next page; null when this page reached the end'),
});

const expectedVersion = z
  .union([z.literal('any'), z.literal('no_stream'), z.literal('stream_exists'), z.number().int().min(0)])
  .describe('any (default), no_stream, stream_exists or the exact version the stream must be at');

const newEvent = z.strictObject({
  type: z.string().min(1).max(200),
  data: jsonValue,
  metadata: z
    .record(z.string(), jsonValue)
    .optional()
    .describe('Any keys of yours; actor is always the token’s, whatever is sent'),
  id: z.string().min(1).max(200).optional().describe('Makes a retry safe; generated when absent'),
  schemaVersion: z.number().int().min(1).optional(),
});

const appendBody = z.strictObject({
  events: z.array(newEvent).min(1).max(1000),
  expectedVersion: expectedVersion.optional(),
});

/**
 * The log itself over HTTP: read it whole or by stream, and append raw events (writers).
 *
 * @example
 * const app = await buildServer({ store, tokens, modules: [logRoutes] }); // buildServer includes it already
 */
export const logRoutes: RouteModule = (routes, { store }) => {
  routes.json({
    method: 'GET',
    path: '/events',
    summary: 'Reads the global log in position order, a page at a time',
    query: z.object({
      from: position('The first position to read (inclusive); default 1').optional(),
      limit: pageLimit(100, 1000),
      streamPrefix,
      type: eventTypes,
    }),
    responses: { 200: { description: 'A page of events', schema: page } },
    handler: async ({ query }) => {
      const head = await store.headPosition();
      const events: RecordedEvent[] = [];
      for await (const event of store.readAll({
        from: query.from ?? 1,
        limit: query.limit,
        streamPrefix: query.streamPrefix,
        types: query.type,
        asOf: { position: head },
      })) {
        events.push(event);
      }
      const last = events[events.length - 1];
      const next = last && events.length === query.limit && last.position < head ? last.position + 1 : null;
      return { status: 200, body: { events: events.map(eventJson), next } };
    },
  });

  routes.json({
    method: 'GET',
    path: '/streams/{streamId}',
    summary: 'Reads one stream’s events in version order, a page at a time',
    params: streamParams,
    query: z.object({
      from: position('The first version to read; default 1 forwards, the last one backwards').optional(),
      limit: pageLimit(100, 1000),
      direction: z.enum(['forwards', 'backwards']).optional().describe('Default forwards'),
    }),
    responses: {
      200: { description: 'A page of the stream’s events; ETag is the stream’s version', schema: page },
    },
    problems: ['StreamNotFound', 'InvalidStreamId'],
    handler: async ({ params, query }) => {
      const version = await store.streamVersion(params.streamId);
      if (version === 0) {
        throw problemOf('StreamNotFound', `no stream ${JSON.stringify(params.streamId)}`, {
          streamId: params.streamId,
        });
      }
      const backwards = query.direction === 'backwards';
      const events: RecordedEvent[] = [];
      for await (const event of store.readStream(params.streamId, {
        from: query.from,
        limit: query.limit,
        direction: query.direction,
        asOf: { version },
      })) {
        events.push(event);
      }
      const last = events[events.length - 1];
      let next: number | null = null;
      if (last && events.length === query.limit) {
        next = backwards ? last.streamVersion - 1 : last.streamVersion + 1;
        if (next < 1 || next > version) next = null;
      }
      return {
        status: 200,
        body: { events: events.map(eventJson), next },
        headers: { etag: `"${version}"` },
      };
    },
  });

  routes.json({
    method: 'POST',
    path: '/streams/{streamId}',
    summary: 'Appends events to a stream, atomically, after checking its version',
    description:
      'The expected version comes from the body (a mismatch is 409) or from If-Match: "<version>" ' +
      '(a mismatch is 412). Every event records the token’s actor.',
    params: streamParams,
    body: appendBody,
    headers: {
      'If-Match': '"<version>": append only if the stream is at this version; * for any existing stream',
      'Idempotency-Key': 'The same key and body again answers the first response and appends nothing',
    },
    responses: {
      201: {
        description: 'Appended; ETag is the stream’s new version',
        schema: z.object({
          streamId: z.string(),
          streamVersion: z.number().int(),
          position: z.number().int(),
        }),
      },
    },
    problems: [
      'WrongExpectedVersion',
      'InvalidEvent',
      'InvalidStreamId',
      'EventTooLarge',
      'DuplicateEventId',
    ],
    handler: async ({ params, body, headers, caller, idempotencyKey }) => {
      const ifMatch = parseIfMatch(headers['if-match']);
      if (ifMatch !== undefined && body.expectedVersion !== undefined) {
        throw problemOf('InvalidInput', 'send the expected version in the body or in If-Match, not both', {
          field: 'expectedVersion',
          in: 'body',
        });
      }
      const events: NewEvent<string, unknown>[] = body.events.map((e, i) => ({
        type: e.type,
        data: e.data,
        metadata: { ...e.metadata, actor: caller?.actor ?? 'anonymous' },
        id:
          e.id ??
          (idempotencyKey === undefined ? undefined : deriveEventId(idempotencyKey, params.streamId, i)),
        schemaVersion: e.schemaVersion,
      }));
      const expected: ExpectedVersion | undefined = ifMatch ?? body.expectedVersion;
      try {
        const result = await store.appendToStream(params.streamId, events, { expectedVersion: expected });
        return { status: 201, body: result, headers: { etag: `"${result.streamVersion}"` } };
      } catch (error) {
        if (ifMatch !== undefined && error instanceof WrongExpectedVersionError)
          throw preconditionFailed(error);
        throw error;
      }
    },
  });
};

/** `"3"` → 3, `*` → any existing stream; anything else (a weak or a list of tags) is refused. */
function parseIfMatch(header: string | string[] | undefined): ExpectedVersion | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header.trim();
  if (value === '*') return 'stream_exists';
  const match = /^"(0|[1-9][0-9]{0,15})"$/.exec(value);
  const version = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(version)) {
    throw problemOf(
      'InvalidInput',
      'If-Match must be one strong tag holding a stream version, like "3", or *',
      {
        field: 'If-Match',
        in: 'header',
      },
    );
  }
  return version;
}
