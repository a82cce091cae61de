import { z } from 'zod';
import type { ProjectionStatus } from '../projections/status.js';
import { problemOf } from './problems.js';
import type { RouteModule } from './routes.js';

const projectionSchema = z
  .object({
    name: z.string(),
    version: z.number().int().nullable(),
    status: z.enum(['starting', 'catching_up', 'live', 'failed', 'rebuilding', 'standby', 'stopped']),
    position: z.number().int().describe('How far the view has applied the log'),
    lag: z.number().int().describe('Positions between the view and the head of the log'),
    lagMs: z.number().int().describe('Age of the oldest event the view has not applied; 0 when caught up'),
    headPosition: z.number().int(),
    failure: z
      .object({
        position: z.number().int(),
        eventId: z.string(),
        eventType: z.string(),
        error: z.string(),
        attempts: z.number().int(),
        nextRetryAt: z.iso.datetime(),
      })
      .optional(),
    rebuild: z
      .object({
        version: z.number().int(),
        position: z.number().int(),
        headPosition: z.number().int(),
        progress: z.number(),
      })
      .optional(),
  })
  .meta({ id: 'ProjectionStatus' });

/**
 * A projection's status as `GET /projections` shows it.
 *
 * @example
 * const body = (await runner.status()).map(projectionJson); // [{ name, version, status, position, lag, … }]
 */
export function projectionJson(s: ProjectionStatus): z.input<typeof projectionSchema> {
  return {
    name: s.name,
    version: s.version ?? null,
    status: s.state,
    position: s.position,
    lag: s.lagEvents,
    lagMs: s.lagMs,
    headPosition: s.headPosition,
    ...(s.failure ? { failure: { ...s.failure, nextRetryAt: s.failure.nextRetryAt.toISOString() } } : {}),
    ...(s.rebuild ? { rebuild: s.rebuild } : {}),
  };
}

/**
 * `GET /projections` (readers) and `POST /projections/{name}/rebuild` (admins), on the server's runner.
 *
 * @example
 * const app = await buildServer({ store, tokens, runner }); // includes these routes
 */
export const projectionRoutes: RouteModule = (routes, { runner, log }) => {
  routes.json({
    method: 'GET',
    path: '/projections',
    summary: 'The status of every projection: version, state, position and lag',
    responses: { 200: { description: 'One entry per projection', schema: z.array(projectionSchema) } },
    handler: async () => {
      const statuses = runner ? await runner.status() : [];
      return { status: 200, body: statuses.map(projectionJson) };
    },
  });

  routes.json({
    method: 'POST',
    path: '/projections/{name}/rebuild',
    access: 'admin',
    summary: 'Rebuilds a projection into a fresh copy beside the live one, swapped in when caught up',
    params: z.object({ name: z.string() }),
    responses: {
      202: {
        description: 'The rebuild has started; follow it in GET /projections',
        schema: z.object({ name: z.string(), status: z.literal('rebuilding') }),
      },
    },
    problems: ['ProjectionNotFound', 'RebuildInProgress'],
    handler: async ({ params }) => {
      const status = runner && (await runner.status()).find((s) => s.name === params.name);
      if (!runner || !status) {
        throw problemOf('ProjectionNotFound', `no projection named ${JSON.stringify(params.name)}`, {
          name: params.name,
        });
      }
      if (status.rebuild || status.state === 'rebuilding') {
        throw problemOf('RebuildInProgress', `projection ${params.name} is already rebuilding`, {
          name: params.name,
        });
      }
      // The rebuild runs on; its progress and any failure show in the projection's status.
      runner.rebuild(params.name).catch((error: unknown) => {
        log.error({ err: error, projection: params.name }, 'projection rebuild failed');
      });
      return { status: 202, body: { name: params.name, status: 'rebuilding' } };
    },
  });
};
