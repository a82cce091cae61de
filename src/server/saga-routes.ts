import { z } from 'zod';
import { sagaHistory } from '../sagas/load.js';
import type { SagaState } from '../sagas/state.js';
import { sagaStory } from '../sagas/story.js';
import { problemOf } from './problems.js';
import type { RouteModule } from './routes.js';

const sagaParams = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -'),
  id: z.string().min(1).max(200),
});

const request = z.strictObject({ reason: z.string().min(1, 'must say why').max(500) });

/** A saga's state as the API shows it. */
function sagaJson(state: SagaState) {
  return {
    saga: state.saga,
    sagaId: state.sagaId,
    status: state.status,
    input: state.input,
    version: state.version,
    startedAt: state.startedAt?.toISOString(),
    endedAt: state.endedAt?.toISOString(),
    steps: state.steps.map((s) => ({
      name: s.name,
      status: s.status,
      attempts: s.attempts,
      ...(s.error === undefined ? {} : { error: s.error }),
      ...(s.inDoubt ? { inDoubt: true } : {}),
    })),
    ...(state.compensation ? { compensation: state.compensation } : {}),
    ...(state.stuck ? { stuck: state.stuck } : {}),
    ...(state.failure ? { failure: state.failure } : {}),
  };
}

/**
 * Operators' view of the server's sagas: `GET /sagas` (each kind: owner state, active, running, stuck),
 * `GET /sagas/{name}/{id}` (state and its history as a story), and, for admins, `POST …/retry` (a stuck saga
 * tries again) and `POST …/cancel` (a running one turns back).
 *
 * @example
 * const app = await buildServer({ store, tokens, sagas: runner }); // includes these routes
 */
export const sagaRoutes: RouteModule = (routes, { store, sagas }) => {
  const runnerOf = (name: string) => {
    if (sagas?.status().some((s) => s.saga === name)) return sagas;
    throw problemOf('SagaNotFound', `this server runs no saga named ${JSON.stringify(name)}`, { saga: name });
  };

  const found = async (name: string, id: string) => {
    const state = await runnerOf(name).get(name, id);
    if (state.status === 'none') {
      throw problemOf('SagaNotFound', `no saga ${name} has the id ${JSON.stringify(id)}`, {
        saga: name,
        sagaId: id,
      });
    }
    return state;
  };

  routes.json({
    method: 'GET',
    path: '/sagas',
    summary:
      'The server’s sagas by kind: whether this instance runs them, how many are active, running and stuck',
    responses: { 200: { description: 'One entry per kind of saga' } },
    handler: async () => ({ status: 200, body: sagas ? sagas.status() : [] }),
  });

  routes.json({
    method: 'GET',
    path: '/sagas/{name}/{id}',
    summary:
      'A saga’s state, and its history told as a story (which step ran, when, by whom, why it turned back)',
    params: sagaParams,
    responses: { 200: { description: 'The saga' } },
    problems: ['SagaNotFound'],
    handler: async ({ params }) => {
      const state = await found(params.name, params.id);
      const story = sagaStory(await sagaHistory(store, params.name, params.id));
      return { status: 200, body: { ...sagaJson(state), story }, headers: { etag: `"${state.version}"` } };
    },
  });

  for (const kind of ['retry', 'cancel'] as const) {
    routes.json({
      method: 'POST',
      path: `/sagas/{name}/{id}/${kind}`,
      access: 'admin',
      summary:
        kind === 'retry'
          ? 'Asks a stuck saga to try its step again (recorded with the operator and the reason)'
          : 'Asks a running saga to turn back and undo what it did (ignored past its pivot)',
      params: sagaParams,
      body: request,
      responses: { 202: { description: 'Recorded; the saga acts on it' } },
      problems: ['SagaNotFound', 'SagaRequestRefused'],
      handler: async ({ params, body, caller }) => {
        await found(params.name, params.id);
        const by = { actor: caller?.actor ?? 'anonymous', reason: body.reason };
        const runner = runnerOf(params.name);
        const state =
          kind === 'retry'
            ? await runner.retry(params.name, params.id, by)
            : await runner.cancel(params.name, params.id, by);
        return { status: 202, body: sagaJson(state) };
      },
    });
  }
};
