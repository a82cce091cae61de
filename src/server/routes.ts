import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { commandFingerprint } from '../commands/event-ids.js';
import type { ProjectionRunner } from '../projections/runner.js';
import type { SagaRunner } from '../sagas/runner.js';
import type { EventStore } from '../store/event-store.js';
import type { IdempotencyKeys } from './idempotency.js';
import { problemOf, toProblem } from './problems.js';
import type { Role } from './tokens.js';

/** Who may call a route: anyone, or a token of at least this role. */
export type Access = Role | 'public';

/** The caller, as its bearer token says. */
export interface Caller {
  actor: string;
  role: Role;
}

/** A route's checked input, typed by its schemas. */
export interface RouteInput<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  /** Undefined on public routes only. */
  caller: Caller | undefined;
  headers: IncomingHttpHeaders;
  /**
   * The request's `Idempotency-Key`, scoped to the caller's actor: derive event ids from it
   * (`deriveEventId(idempotencyKey, streamId, i)`) so a retried request cannot store its events twice.
   */
  idempotencyKey: string | undefined;
}

/** What a JSON route answers. */
export interface RouteReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A documented response of a route. */
export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
}

interface RouteCommon<P extends z.ZodType, Q extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI style: `/streams/{streamId}`. */
  path: string;
  /** Default: `reader` for GET, `writer` otherwise. */
  access?: Access;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  /** Request headers worth documenting (name → description); they are read from `input.headers`. */
  headers?: Record<string, string>;
  responses: Record<number, ResponseDoc>;
  /** The problem codes the route may answer with beyond the common ones, for the document. */
  problems?: readonly string[];
}

/**
 * A JSON route: checked input in, `{ status, body, headers }` out. Its schemas validate requests and describe
 * them in `/openapi.json`. POST routes honour `Idempotency-Key` without any code of their own.
 */
export interface JsonRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>
  extends RouteCommon<P, Q> {
  body?: B;
  handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<RouteReply>;
}

/** A route that writes its own response (a stream of server-sent events). */
export interface StreamingRoute<P extends z.ZodType, Q extends z.ZodType> extends RouteCommon<P, Q> {
  handler: (
    input: RouteInput<z.output<P>, z.output<Q>, undefined>,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<void>;
}

/** What route modules register their routes with. */
export interface Routes {
  json<
    P extends z.ZodType = z.ZodUndefined,
    Q extends z.ZodType = z.ZodUndefined,
    B extends z.ZodType = z.ZodUndefined,
  >(route: JsonRoute<P, Q, B>): void;
  streaming<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(
    route: StreamingRoute<P, Q>,
  ): void;
}

/** What a route module is given besides `Routes`. */
export interface ServerContext {
  store: EventStore;
  runner: ProjectionRunner | undefined;
  /** The server's saga runner, when it runs sagas. */
  sagas: SagaRunner | undefined;
  /** The server's logger (pino), for work that outlives a request. */
  log: FastifyBaseLogger;
}

/**
 * A set of routes that plugs into the server, such as a domain's endpoints.
 *
 * @example
 * const hello: RouteModule = (routes) => routes.json({
 *   method: 'GET', path: '/hello', summary: 'Says hello', responses: { 200: { description: 'a greeting' } },
 *   handler: async ({ caller }) => ({ status: 200, body: { hello: caller?.actor } }),
 * });
 */
export type RouteModule = (routes: Routes, context: ServerContext) => void | Promise<void>;

/** A registered route as the OpenAPI document sees it. */
export interface DocumentedRoute {
  method: string;
  path: string;
  access: Access;
  summary: string;
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  headers: Record<string, string>;
  responses: Record<number, ResponseDoc>;
  problems: readonly string[];
  idempotent: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

const idempotencyKeyPattern = /^[\x21-\x7e]{1,200}$/;

/** Makes the `Routes` of one app: each route is validated, documented and (for POST) idempotent. */
export function createRoutes(
  app: FastifyInstance,
  keys: IdempotencyKeys,
  documented: DocumentedRoute[],
): Routes {
  const document = (
    route: RouteCommon<z.ZodType, z.ZodType>,
    body: z.ZodType | undefined,
    access: Access,
  ) => {
    documented.push({
      method: route.method,
      path: route.path,
      access,
      summary: route.summary,
      description: route.description,
      params: route.params,
      query: route.query,
      body,
      headers: route.headers ?? {},
      responses: route.responses,
      problems: route.problems ?? [],
      idempotent: route.method === 'POST',
    });
  };
  // What every handler is given: the checked path and query, the body, and who is calling.
  const inputOf = <P extends z.ZodType, Q extends z.ZodType, Body>(
    route: RouteCommon<P, Q>,
    request: FastifyRequest,
    body: Body,
  ): RouteInput<z.output<P>, z.output<Q>, Body> => ({
    params: parsePart(route.params, request.params, 'path'),
    query: parsePart(route.query, request.query, 'query'),
    body,
    caller: request.caller,
    headers: request.headers,
    idempotencyKey: undefined as string | undefined,
  });

  const accessOf = (route: RouteCommon<z.ZodType, z.ZodType>): Access =>
    route.access ?? (route.method === 'GET' ? 'reader' : 'writer');

  return {
    json(route) {
      const access = accessOf(route);
      document(route, route.body, access);
      app.route({
        method: route.method,
        url: fastifyPath(route.path),
        config: { access },
        handler: async (request, reply) => {
          const input = inputOf(route, request, parsePart(route.body, request.body, 'body'));
          const key = request.headers['idempotency-key'];
          if (route.method !== 'POST' || key === undefined) {
            return send(reply, await route.handler(input));
          }
          return send(reply, await idempotent(keys, request, input, String(key), () => route.handler(input)));
        },
      });
    },

    streaming(route) {
      const access = accessOf(route);
      document(route, undefined, access);
      app.route({
        method: route.method,
        url: fastifyPath(route.path),
        config: { access },
        handler: async (request, reply) => {
          const input = inputOf(route, request, undefined);
          await route.handler(input, request, reply);
        },
      });
    },
  };
}

/**
 * Runs a POST once per key: the same key with the same request answers the first response and runs nothing;
 * with another request, 422. A response is kept unless it is a 5xx, so a request that failed on the server
 * may be retried; the key's events keep ids derived from it, so a retry after a crash cannot store them twice.
 */
async function idempotent(
  keys: IdempotencyKeys,
  request: FastifyRequest,
  input: { caller: Caller | undefined; idempotencyKey: string | undefined },
  key: string,
  run: () => Promise<RouteReply>,
): Promise<RouteReply> {
  if (!idempotencyKeyPattern.test(key)) {
    throw problemOf('InvalidInput', 'Idempotency-Key must be 1 to 200 printable ASCII characters', {
      field: 'Idempotency-Key',
      in: 'header',
    });
  }
  const scope = input.caller?.actor ?? '';
  const fingerprint = commandFingerprint({
    method: request.method,
    url: request.url,
    ifMatch: request.headers['if-match'] ?? null,
    body: request.body ?? null,
  });
  const record = await keys.claim(scope, key, fingerprint);
  if (record.fingerprint !== fingerprint) {
    throw problemOf(
      'IdempotencyKeyReused',
      `Idempotency-Key ${key} was first used with a different request`,
      {
        idempotencyKey: key,
      },
    );
  }
  if (record.response) {
    return {
      status: record.response.status,
      body: JSON.parse(record.response.body),
      headers: { ...record.response.headers, 'idempotency-replayed': 'true' },
    };
  }
  input.idempotencyKey = `${scope}\u0000${key}`;
  let reply: RouteReply;
  try {
    reply = await run();
  } catch (error) {
    // A refusal (4xx) is the request's answer and is kept like any other; a failure of the server is not.
    const problem = toProblem(error);
    if (problem.status < 500) {
      await keys.complete(scope, key, {
        status: problem.status,
        body: JSON.stringify(problem),
        headers: { 'content-type': 'application/problem+json' },
      });
    }
    throw error;
  }
  if (reply.status < 500) {
    await keys.complete(scope, key, {
      status: reply.status,
      body: JSON.stringify(reply.body ?? null),
      headers: reply.headers ?? {},
    });
  }
  return reply;
}

function send(reply: FastifyReply, result: RouteReply): FastifyReply {
  reply.code(result.status);
  if (result.headers) reply.headers(result.headers);
  const type = result.headers?.['content-type'];
  if (type !== undefined && type !== 'application/json') return reply.send(JSON.stringify(result.body));
  return reply.send(result.body);
}

/** `/streams/{streamId}` → `/streams/:streamId`. */
function fastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

function parsePart<S extends z.ZodType>(
  schema: S | undefined,
  value: unknown,
  where: 'path' | 'query' | 'body',
) {
  if (schema === undefined) return undefined as z.output<S>;
  if (where === 'body' && value === undefined) {
    throw problemOf('InvalidInput', 'send a JSON body, with Content-Type: application/json', {
      field: '',
      in: 'body',
    });
  }
  if (where === 'body' && nestedDeeperThan(value, maxBodyDepth)) {
    throw problemOf('InvalidInput', `the body is nested deeper than ${maxBodyDepth} levels`, {
      field: '',
      in: 'body',
    });
  }
  const result = schema.safeParse(where === 'body' ? value : { ...(value as object) });
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    in: where,
    field: fieldName(issue),
    message: issue.message,
  }));
  const first = issues[0] as { in: string; field: string; message: string };
  const named = first.field === '' ? `the ${where === 'path' ? 'path' : where}` : `${first.field} (${where})`;
  throw problemOf('InvalidInput', `${named}: ${first.message}`, { field: first.field, in: where, issues });
}

// Recursive code downstream (validation, serialization, fingerprints) would overflow the stack on a body of
// thousands of nested arrays, which fits in 64 KiB; no real request comes near this depth.
const maxBodyDepth = 64;

/** Walks the value with an explicit stack, so the check itself cannot overflow. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

function fieldName(issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  let name = '';
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name += name === '' ? String(part) : `.${String(part)}`;
  }
  return name;
}
