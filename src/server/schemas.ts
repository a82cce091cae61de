import { z } from 'zod';

/** A non-negative integer in a query string or header, as a safe JavaScript number. */
export const position = (description: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, 'must be at most 2^53 - 1'))
    .describe(description);

/** A page size: 1 to `max`, `fallback` when absent. */
export const pageLimit = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,5}$/, `must be an integer from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`))
    .optional()
    .transform((n) => n ?? fallback)
    .describe(`How many events at most; default ${fallback}, at most ${max}`);

/** `type=A&type=B`: one or more event types. */
export const eventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((t) => (Array.isArray(t) ? t : [t]))
  .optional()
  .describe('Only events of this type; repeat for several');

export const streamPrefix = z
  .string()
  .max(200)
  .optional()
  .describe('Only streams whose id starts with this (a category such as account-)');

/** Any JSON value; a field of this type must be present (`null` is a value). */
export const jsonValue = z
  .unknown()
  .refine((v) => v !== undefined, 'is required')
  .describe('Any JSON value');

/** An event as the API shows it: the stored record, with `recordedAt` as an ISO-8601 instant. */
export const recordedEventSchema = z
  .object({
    id: z.string(),
    streamId: z.string(),
    streamVersion: z.number().int().describe('1 for the stream’s first event; no gaps'),
    position: z.number().int().describe('The event’s place in the whole log'),
    type: z.string(),
    schemaVersion: z.number().int(),
    data: jsonValue,
    metadata: z
      .record(z.string(), jsonValue)
      .describe('actor (from the token), correlationId, causationId, …'),
    recordedAt: z.iso.datetime(),
  })
  .meta({ id: 'RecordedEvent' });

/** The shape of every error answer (`application/problem+json`). */
export const problemSchema = z
  .object({
    type: z.literal('about:blank'),
    status: z.number().int(),
    title: z.string(),
    detail: z.string(),
    code: z
      .string()
      .describe('What went wrong, for code to switch on: WrongExpectedVersion, InvalidInput, …'),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });
