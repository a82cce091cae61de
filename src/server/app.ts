import { type FastifyInstance, type FastifyReply, type FastifyServerOptions, fastify } from 'fastify';
import { z } from 'zod';
import type { ProjectionRunner } from '../projections/runner.js';
import type { SagaRunner } from '../sagas/runner.js';
import type { EventStore } from '../store/event-store.js';
import {
  type IdempotencyKeys,
  memoryIdempotencyKeys,
  postgresIdempotencyKeys,
  type SqlPool,
  sqliteIdempotencyKeys,
} from './idempotency.js';
import { type LiveFeedOptions, liveFeedRoutes } from './live-feed.js';
import { logRoutes } from './log-routes.js';
import { type MetricsOptions, metricsRoutes, serverMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { problemOf, toProblem } from './problems.js';
import { projectionRoutes } from './projection-routes.js';
import { createRoutes, type DocumentedRoute, type RouteModule } from './routes.js';
import { sagaRoutes } from './saga-routes.js';
import { type AccessToken, roleAllows, TokenTable } from './tokens.js';
import { uiRoutes } from './ui-routes.js';

export interface ServerOptions {
  store: EventStore;
  /** Who may call: each token's actor is recorded on the events it appends. */
  tokens: readonly AccessToken[];
  /** The projections `GET /projections` reports on and route modules query. */
  runner?: ProjectionRunner;
  /** The sagas `GET /sagas` reports on and operators retry or cancel. */
  sagas?: SagaRunner;
  /** More routes: a domain's endpoints, say. They share auth, validation, idempotency and problem answers. */
  modules?: readonly RouteModule[];
  /** Where `Idempotency-Key`s are kept; default: a table in the store's own database, or memory. */
  idempotencyKeys?: IdempotencyKeys;
  /** Largest request body in bytes; default 64 KiB. */
  bodyLimit?: number;
  liveFeed?: LiveFeedOptions;
  /** Fastify's logger option (pino); default off. */
  logger?: FastifyServerOptions['logger'];
  /** Title and version of the OpenAPI document. */
  info?: { title: string; version: string };
  /** `GET /metrics` (Prometheus text, reader role); on by default, `false` turns it off. */
  metrics?: MetricsOptions | false;
  /** The web UI at `/ui/` (static files, open without a token); on by default, `false` turns it off. */
  ui?: boolean;
}

/**
 * The HTTP API as a Fastify app, not yet listening: tests call `app.inject`, the CLI calls `app.listen`.
 * JSON in, JSON out; every error is `application/problem+json` with a string `code`.
 *
 * @example
 * const app = await buildServer({ store, tokens: parseTokens('token-of-16-chars:ada:writer') });
 * const res = await app.inject({ url: '/events', headers: { authorization: 'Bearer token-of-16-chars' } });
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const tokens = new TokenTable(options.tokens);
  const app = fastify({
    logger: options.logger ?? false,
    bodyLimit,
    // Stream ids may be 200 characters, more once percent-encoded.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: (error, _request, reply) => {
      const problem = toProblem(
        problemOf('InvalidInput', `the request could not be routed: ${error.message}`),
      );
      (reply as FastifyReply)
        .code(problem.status)
        .type('application/problem+json')
        .send(JSON.stringify(problem));
    },
  });
  // JSON only: any other body is refused with 415 before a route sees it.
  app.removeContentTypeParser('text/plain');

  const feeds = new Set<AbortController>();
  const metrics =
    options.metrics === false
      ? undefined
      : serverMetrics(options.store, options.runner, () => feeds.size, options.metrics);
  // Route modules get the store with its appends timed; the adapter's own properties stay visible.
  const store = metrics?.store ?? options.store;
  if (metrics) app.addHook('onResponse', async (request, reply) => metrics.onResponse(request, reply));

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, { bodyLimit });
    metrics?.noteProblem(request, problem.code);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    if (problem.code === 'Unauthorized') reply.header('www-authenticate', 'Bearer realm="hindsight"');
    reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(
      problemOf('NotFound', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
    metrics?.noteProblem(request, problem.code);
    reply.code(404).type('application/problem+json').send(JSON.stringify(problem));
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public') return;
    const match = /^Bearer +([^\s]+) *$/i.exec(request.headers.authorization ?? '');
    if (!match) throw problemOf('Unauthorized', 'send Authorization: Bearer <token>');
    const token = tokens.find(match[1] as string);
    if (!token) throw problemOf('Unauthorized', 'the bearer token is not known to this server');
    if (!roleAllows(token.role, access)) {
      throw problemOf('Forbidden', `this needs the ${access} role; the token's role is ${token.role}`, {
        role: token.role,
        needed: access,
      });
    }
    request.caller = { actor: token.actor, role: token.role };
  });

  app.addHook('preClose', async () => {
    for (const feed of feeds) feed.abort();
  });

  const documented: DocumentedRoute[] = [];
  const routes = createRoutes(app, options.idempotencyKeys ?? (await defaultKeys(options.store)), documented);
  const context = { store, runner: options.runner, sagas: options.sagas, log: app.log };
  const info = options.info ?? { title: 'Hindsight', version: '0.1.0' };
  let document: ReturnType<typeof openApiDocument> | undefined;

  routes.json({
    method: 'GET',
    path: '/healthz',
    access: 'public',
    summary: 'Answers 200 while the server can read its event store',
    responses: { 200: { description: 'Healthy', schema: z.object({ status: z.literal('ok') }) } },
    problems: ['StoreUnavailable'],
    handler: async () => {
      try {
        await options.store.headPosition();
      } catch (error) {
        app.log.error({ err: error }, 'health check: the store cannot be read');
        throw problemOf('StoreUnavailable', 'the event store cannot be read');
      }
      return { status: 200, body: { status: 'ok' } };
    },
  });
  routes.json({
    method: 'GET',
    path: '/openapi.json',
    access: 'public',
    summary: 'This document: every route, generated from the schemas that validate requests',
    responses: { 200: { description: 'An OpenAPI 3.1 document' } },
    handler: async () => {
      document ??= openApiDocument(documented, info);
      return { status: 200, body: document };
    },
  });
  for (const module of [
    logRoutes,
    liveFeedRoutes(options.liveFeed ?? {}, feeds),
    projectionRoutes,
    sagaRoutes,
  ]) {
    await module(routes, context);
  }
  for (const module of options.modules ?? []) await module(routes, context);
  if (metrics) await metricsRoutes(metrics.registry)(routes, context);
  if (options.ui !== false) uiRoutes(app);
  return app;
}

/** A table beside the events when the store has a database we know, memory otherwise. */
async function defaultKeys(store: EventStore): Promise<IdempotencyKeys> {
  const sqlite = (store as { database?: { prepare?: unknown } }).database;
  if (sqlite && typeof sqlite.prepare === 'function') {
    return sqliteIdempotencyKeys(sqlite as Parameters<typeof sqliteIdempotencyKeys>[0]);
  }
  const postgres = store as { pool?: SqlPool; schema?: unknown };
  if (postgres.pool && typeof postgres.pool.query === 'function' && typeof postgres.schema === 'string') {
    return postgresIdempotencyKeys(postgres.pool, postgres.schema);
  }
  return memoryIdempotencyKeys();
}
