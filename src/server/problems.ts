import {
  type ErrorCode,
  HindsightError,
  InvalidInputError,
  WrongExpectedVersionError,
} from '../events/errors.js';

/** Codes only the HTTP layer raises: about the request itself rather than the log. */
export type HttpErrorCode =
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'StreamNotFound'
  | 'ProjectionNotFound'
  | 'RebuildInProgress'
  | 'InvalidInput'
  | 'MalformedJson'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'StoreUnavailable'
  | 'InternalError';

/** Codes of the bank domain's refusals (`src/domains/bank`), given their statuses here with the rest. */
export type BankErrorCode =
  | 'AccountExists'
  | 'AccountNotFound'
  | 'InsufficientFunds'
  | 'AccountClosed'
  | 'AccountNotEmpty'
  | 'BalanceLimitExceeded'
  | 'TransferMismatch'
  | 'TransferNotFound';

/** Every `code` a problem+json answer can carry. */
export type ProblemCode = ErrorCode | HttpErrorCode | BankErrorCode;

/**
 * The one place a code becomes an HTTP status (`statusByCode.StreamNotFound === 404`). Exhaustive: a new `ErrorCode` does not compile until it is
 * given a status here. `WrongExpectedVersion` is 409 for a version sent in the body; a stale `If-Match`
 * header answers 412 instead, because there the client stated a precondition (see `preconditionFailed`).
 */
export const statusByCode: Record<ProblemCode, number> = {
  WrongExpectedVersion: 409,
  InvalidStreamId: 400,
  InvalidEvent: 400,
  EventTooLarge: 413,
  DuplicateEventId: 409,
  // The log cannot grow past 2^53 - 1: no request is at fault, and none can be served.
  PositionOverflow: 507,
  StoreClosed: 503,
  InvalidArgument: 400,
  IdempotencyKeyReused: 422,
  TooManyConflicts: 409,
  // Stored data that today's code cannot read: the server's fault, never the request's.
  UpcastFailed: 500,
  NotCaughtUp: 503,
  SagaExists: 409,
  SagaNotFound: 404,
  SagaRequestRefused: 409,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  StreamNotFound: 404,
  ProjectionNotFound: 404,
  RebuildInProgress: 409,
  InvalidInput: 400,
  MalformedJson: 400,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  StoreUnavailable: 503,
  InternalError: 500,
  AccountExists: 409,
  AccountNotFound: 404,
  // The request is well-formed but the account's state refuses it.
  InsufficientFunds: 422,
  AccountClosed: 422,
  AccountNotEmpty: 422,
  BalanceLimitExceeded: 422,
  // A transfer leg repeated with other data than the first time, or a refund with no matching debit.
  TransferMismatch: 409,
  TransferNotFound: 404,
};

/** An RFC 9457 problem document, with Hindsight's string `code` and any facts that help act on it. */
export interface Problem {
  type: 'about:blank';
  status: number;
  title: string;
  detail: string;
  code: string;
  [fact: string]: unknown;
}

/**
 * An error a route throws to answer with a problem document. Route modules use it for their own codes
 * (a domain's `AccountNotFound`, say) with the status from their own exhaustive table.
 *
 * @example
 * throw new HttpProblem(404, 'AccountNotFound', `no account ${id}`, { accountId: id });
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly facts: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = code;
  }
}

/**
 * Builds the problem for one of the codes in `statusByCode`.
 *
 * @example
 * throw problemOf('StreamNotFound', `no stream ${id}`, { streamId: id }); // answered as 404
 */
export function problemOf(
  code: ProblemCode,
  detail: string,
  facts: Record<string, unknown> = {},
): HttpProblem {
  return new HttpProblem(statusByCode[code], code, detail, facts);
}

/**
 * A stale `If-Match`: the same conflict as a stale body version, answered as a failed precondition (412).
 *
 * @example
 * catch (e) { if (e instanceof WrongExpectedVersionError && fromIfMatch) throw preconditionFailed(e); throw e; }
 */
export function preconditionFailed(error: WrongExpectedVersionError): HttpProblem {
  return new HttpProblem(412, error.code, error.message, versionFacts(error));
}

/**
 * The title of a problem is its code, read aloud.
 *
 * @example
 * titleOf('WrongExpectedVersion'); // 'Wrong expected version'
 */
export function titleOf(code: string): string {
  const words = code
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\bjson\b/, 'JSON');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function versionFacts(error: WrongExpectedVersionError): Record<string, unknown> {
  return { streamId: error.streamId, expected: error.expected, actual: error.actual };
}

/** Fastify's own errors for bodies it could not take, by their code. */
const fastifyCodes: Record<string, HttpErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PayloadTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MalformedJson',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MalformedJson',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'InvalidInput',
};

/**
 * Turns anything a route threw into the problem to answer with; unknown errors become a bare 500.
 *
 * @example
 * reply.code(toProblem(error).status).type('application/problem+json').send(JSON.stringify(toProblem(error)));
 */
export function toProblem(error: unknown, limits: { bodyLimit?: number } = {}): Problem {
  const p = asHttpProblem(error, limits.bodyLimit ?? 64 * 1024);
  return {
    type: 'about:blank',
    status: p.status,
    title: titleOf(p.code),
    detail: p.detail,
    code: p.code,
    ...p.facts,
  };
}

function asHttpProblem(error: unknown, bodyLimit: number): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof WrongExpectedVersionError) {
    return problemOf(error.code, error.message, versionFacts(error));
  }
  if (error instanceof InvalidInputError) {
    return problemOf(error.code, error.message, {
      where: error.where,
      ...(error.details ? { issues: error.details.issues } : {}),
    });
  }
  if (error instanceof HindsightError) return problemOf(error.code, error.message);
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in fastifyCodes) {
    const code = fastifyCodes[fastifyCode] as HttpErrorCode;
    const facts = code === 'PayloadTooLarge' ? { limit: bodyLimit } : {};
    return problemOf(code, describeFastifyError(code, error as Error, bodyLimit), facts);
  }
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpProblem(status, 'InvalidInput', (error as Error).message);
  }
  // Details of an unexpected failure stay in the server's log: they may say more than a client should know.
  return problemOf('InternalError', 'the server failed to handle the request; the failure is logged');
}

function describeFastifyError(code: HttpErrorCode, error: Error, bodyLimit: number): string {
  switch (code) {
    case 'PayloadTooLarge':
      return `the request body is larger than the limit of ${bodyLimit} bytes`;
    case 'UnsupportedMediaType':
      return 'request bodies must be JSON, sent as Content-Type: application/json';
    case 'MalformedJson':
      return 'the request body is not well-formed JSON (or is empty, or sets __proto__ or constructor.prototype)';
    default:
      return error.message;
  }
}
