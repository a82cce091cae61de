import type { IncomingHttpHeaders } from 'node:http';
import { type ExpectedVersion, type ProjectionRunner, WrongExpectedVersionError } from 'hindsight';
import { HttpProblem, preconditionFailed, problemOf } from 'hindsight/server';
import { z } from 'zod';
import { AccountError } from './account.js';

/** Account ids: what the contract allows, and what fits in a stream id. */
export const accountIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -')
  .describe('1 to 64 letters, digits, _ or -');

export const accountParams = z.object({ id: accountIdSchema });

/** An amount of minor units, as the contract bounds it. */
export const amountSchema = z
  .int('must be an integer')
  .min(1, 'must be positive')
  .max(1_000_000_000_000, 'must be at most 10^12')
  .describe('Integer minor units, 1 to 10^12');

/** A non-negative integer in a query string. */
export const queryInteger = (description: string, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`))
    .describe(description);

/** `limit`: 1 to 1,000, default 100. */
export const pageLimit = z
  .string()
  .regex(/^[1-9][0-9]{0,3}$/, 'must be an integer from 1 to 1000')
  .transform(Number)
  .pipe(z.number().max(1000, 'must be at most 1000'))
  .optional()
  .transform((n) => n ?? 100)
  .describe('Items per page: 1 to 1,000, default 100');

/** Read-your-writes: the options every GET of the bank takes. */
export const freshness = {
  minPosition: queryInteger('Wait until the view has applied the log up to this position').optional(),
  timeoutMs: queryInteger('How long to wait for minPosition, in ms; default 5,000, at most 30,000', 30_000)
    .optional()
    .describe('How long to wait for minPosition, in ms; default 5,000, at most 30,000'),
};

export const problems = {
  notFound: (accountId: string) =>
    problemOf('AccountNotFound', `no account ${JSON.stringify(accountId)}`, { accountId }),
};

/**
 * Waits (when asked) until a view has applied the log up to `minPosition`, then says how far it has: the
 * `X-Hindsight-Position` of the answer, read before the view so the answer is at least that fresh.
 */
export async function viewPosition(
  runner: ProjectionRunner | undefined,
  name: string,
  query: { minPosition?: number; timeoutMs?: number },
): Promise<number> {
  if (!runner) throw new HttpProblem(503, 'NotCaughtUp', 'this server runs no projections');
  if (query.minPosition !== undefined) {
    await runner.waitFor(name, query.minPosition, { timeoutMs: query.timeoutMs ?? 5000 });
  }
  const status = (await runner.status()).find((s) => s.name === name);
  return status?.position ?? 0;
}

/** `If-Match: "3"` → 3; `*` → any version; anything else is refused. */
export function parseIfMatch(header: string | string[] | undefined): ExpectedVersion | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header.trim();
  if (value === '*') return 'any';
  const match = /^"(0|[1-9][0-9]{0,15})"$/.exec(value);
  const version = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(version)) {
    throw problemOf('InvalidInput', 'If-Match must be one strong tag holding an account version, like "3"', {
      field: 'If-Match',
      in: 'header',
    });
  }
  return version;
}

/** `X-Correlation-Id`, when the client sends one: recorded on the events, shown in the history. */
export function correlationIdOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['x-correlation-id'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(value)) {
    throw problemOf('InvalidInput', 'X-Correlation-Id must be 1 to 200 printable ASCII characters', {
      field: 'X-Correlation-Id',
      in: 'header',
    });
  }
  return value;
}

/** An account's refusal or a version conflict as the problem to answer with; anything else as it is. */
export function accountProblem(error: unknown, accountId: string, fromIfMatch: boolean): unknown {
  if (error instanceof AccountError) {
    if (error.code === 'InvalidAmount') {
      return problemOf('InvalidInput', `amount (body): ${error.message}`, { field: 'amount', in: 'body' });
    }
    return problemOf(error.code, error.message, { accountId });
  }
  if (fromIfMatch && error instanceof WrongExpectedVersionError) return preconditionFailed(error);
  return error;
}
