import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isHindsightError } from '../events/errors.js';
import type { ProjectionRunner } from '../projections/runner.js';
import type { ProjectionState, ProjectionStatus } from '../projections/status.js';
import type { EventStore } from '../store/event-store.js';
import type { RouteModule } from './routes.js';

export interface MetricsOptions {
  /**
   * Where the metrics are registered; default: a registry of this server's own. Pass one on which you called
   * prom-client's `collectDefaultMetrics` to also expose the process's CPU, memory and event-loop delay.
   */
  registry?: Registry;
  /** The `store` label of append latency; default `sqlite`, `postgres` or `custom`, from the store's shape. */
  storeName?: string;
}

/** The metrics a server keeps, and the hooks that feed them. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** The store, with `appendToStream` and `appendToStreams` timed; every other property is the store's own. */
  readonly store: EventStore;
  /** Counts a finished request and, for a command (not GET/HEAD), times it. */
  onResponse(request: FastifyRequest, reply: FastifyReply): void;
  /** Remembers the problem code a request was answered with: a command's outcome. */
  noteProblem(request: FastifyRequest, code: string): void;
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const projectionStates: readonly ProjectionState[] = [
  'starting',
  'catching_up',
  'live',
  'failed',
  'rebuilding',
  'standby',
  'stopped',
];

/**
 * The Prometheus metrics of one server: append latency by store, command latency by route and outcome,
 * requests by route and status, and each projection's position and lag, read from the runner at scrape time.
 *
 * @example
 * const metrics = serverMetrics(store, runner, () => feeds.size);
 * const text = await metrics.registry.metrics(); // the body of GET /metrics
 */
export function serverMetrics(
  store: EventStore,
  runner: ProjectionRunner | undefined,
  liveFeeds: () => number,
  options: MetricsOptions = {},
): ServerMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const storeName = options.storeName ?? storeKind(store);

  const appendSeconds = new Histogram({
    name: 'hindsight_append_duration_seconds',
    help: 'Time to append to the event log, from the call to the durable result; outcome is ok or an error code',
    labelNames: ['store', 'operation', 'outcome'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const commandSeconds = new Histogram({
    name: 'hindsight_command_duration_seconds',
    help: 'Time to answer a command (any request but GET and HEAD); outcome is ok or the problem code',
    labelNames: ['method', 'route', 'outcome'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const requests = new Counter({
    name: 'hindsight_http_requests_total',
    help: 'HTTP requests answered, by route (unmatched for unknown paths) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  new Gauge({
    name: 'hindsight_live_feed_clients',
    help: 'Open connections to GET /events/live',
    registers,
    collect() {
      this.set(liveFeeds());
    },
  });

  // One runner.status() per scrape, however many gauges read it.
  let cached: { at: number; statuses: Promise<ProjectionStatus[]> } | undefined;
  const statuses = (): Promise<ProjectionStatus[]> => {
    if (!runner) return Promise.resolve([]);
    if (!cached || Date.now() - cached.at > 250) cached = { at: Date.now(), statuses: runner.status() };
    return cached.statuses;
  };
  const projectionGauge = (name: string, help: string, value: (s: ProjectionStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers,
      async collect() {
        this.reset();
        for (const s of await statuses()) {
          const v = value(s);
          if (v !== undefined) this.set({ projection: s.name }, v);
        }
      },
    });
  projectionGauge(
    'hindsight_projection_position',
    'How far the view queries read has applied the log',
    (s) => s.position,
  );
  projectionGauge(
    'hindsight_projection_lag_positions',
    'Positions between the view and the head of the log',
    (s) => s.lagEvents,
  );
  projectionGauge(
    'hindsight_projection_lag_seconds',
    'Age of the oldest event the view has not applied; 0 when caught up',
    (s) => s.lagMs / 1000,
  );
  projectionGauge(
    'hindsight_projection_rebuild_progress',
    'Share of the log a running rebuild has applied to its fresh copy (0 to 1); absent when not rebuilding',
    (s) => s.rebuild?.progress,
  );
  new Gauge({
    name: 'hindsight_projection_state',
    help: '1 for the state each projection is in, 0 for the others',
    labelNames: ['projection', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const s of await statuses()) {
        for (const state of projectionStates)
          this.set({ projection: s.name, state }, s.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'hindsight_log_head_position',
    help: 'The position of the last event readers can see',
    registers,
    async collect() {
      this.set(await store.headPosition());
    },
  });

  const problems = new WeakMap<FastifyRequest, string>();
  const timed = instrumentedStore(store, (operation, outcome, seconds) =>
    appendSeconds.observe({ store: storeName, operation, outcome }, seconds),
  );

  return {
    registry,
    store: timed,
    noteProblem(request, code) {
      problems.set(request, code);
    },
    onResponse(request, reply) {
      const route = request.routeOptions.url ?? 'unmatched';
      const status = reply.statusCode;
      requests.inc({ method: request.method, route, status });
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const outcome = status < 400 ? 'ok' : (problems.get(request) ?? `http_${status}`);
      commandSeconds.observe({ method: request.method, route, outcome }, reply.elapsedTime / 1000);
    },
  };
}

type AppendOperation = 'appendToStream' | 'appendToStreams';

/**
 * The store with its appends timed: `observe` is told each append's operation, outcome (`ok` or the error's
 * code) and duration. A proxy, so the adapter's own properties (an SQLite `database`, a PostgreSQL `pool`) stay
 * visible to code that looks for them.
 *
 * @example
 * const timed = instrumentedStore(store, (op, outcome, s) => histogram.observe({ op, outcome }, s));
 */
export function instrumentedStore<S extends EventStore>(
  store: S,
  observe: (operation: AppendOperation, outcome: string, seconds: number) => void,
): S {
  const timedAppend = (operation: AppendOperation) => {
    const original = store[operation] as (...args: unknown[]) => Promise<unknown>;
    return async (...args: unknown[]) => {
      const start = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
      try {
        const result = await original.apply(store, args);
        observe(operation, 'ok', seconds());
        return result;
      } catch (error) {
        observe(operation, isHindsightError(error) ? error.code : 'error', seconds());
        throw error;
      }
    };
  };
  const overrides = new Map<PropertyKey, unknown>([
    ['appendToStream', timedAppend('appendToStream')],
    ['appendToStreams', timedAppend('appendToStreams')],
  ]);
  const bound = new WeakMap<object, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (overrides.has(property)) return overrides.get(property);
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // Methods run on the store itself, as if called on it directly (class adapters use private fields).
      let method = bound.get(value);
      if (!method) {
        method = value.bind(target);
        bound.set(value, method);
      }
      return method;
    },
  });
}

function storeKind(store: EventStore): string {
  const shape = store as { database?: { prepare?: unknown }; pool?: { query?: unknown } };
  if (typeof shape.database?.prepare === 'function') return 'sqlite';
  if (typeof shape.pool?.query === 'function') return 'postgres';
  return 'custom';
}

/**
 * `GET /metrics`: the registry in Prometheus's text format, for tokens of the reader role or above (a scraper
 * sends `Authorization: Bearer <token>`; Prometheus's `authorization.credentials_file` does).
 *
 * @example
 * await metricsRoutes(metrics.registry)(routes, context);
 */
export function metricsRoutes(registry: Registry): RouteModule {
  return (routes) => {
    routes.streaming({
      method: 'GET',
      path: '/metrics',
      access: 'reader',
      summary: 'Prometheus metrics: append and command latency, requests, projection position and lag',
      description:
        'Text exposition format. Projection gauges are read from the runner when scraped. Histograms are in ' +
        'seconds, as Prometheus names them.',
      responses: { 200: { description: 'The metrics', contentType: registry.contentType } },
      handler: async (_input, _request, reply) => {
        const text = await registry.metrics();
        await reply.type(registry.contentType).header('cache-control', 'no-store').send(text);
      },
    });
  };
}
