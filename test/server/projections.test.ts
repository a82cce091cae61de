import { createProjectionRunner, memoryProjection, type ProjectionRunner } from 'hindsight';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, parseTokens } from '../../src/server/index.js';
import { problem, tokens } from './support.js';

const counts = memoryProjection({
  name: 'counts',
  version: 1,
  initialState: () => new Map<string, number>(),
  evolve: (m, e) => m.set(e.type, (m.get(e.type) ?? 0) + 1),
});

const store = createSqliteEventStore({ file: ':memory:' });
let runner: ProjectionRunner;
let app: Awaited<ReturnType<typeof buildServer>>;

beforeEach(async () => {
  runner = createProjectionRunner(store, [counts], { pollIntervalMs: 10 });
  await runner.start();
  app = await buildServer({
    store,
    runner,
    tokens: parseTokens(`${tokens.reader}:rita:reader,${tokens.admin}:ada:admin`),
  });
});
afterEach(async () => {
  await app.close();
  await runner.stop();
});
afterAll(() => store.close());

const as = (role: 'reader' | 'admin') => ({ authorization: `Bearer ${tokens[role]}` });

describe('projections over HTTP', () => {
  it('GET /projections reports each projection with its version, status, position and lag', async () => {
    const { position } = await store.appendToStream('a', [
      { type: 'A', data: 1 },
      { type: 'B', data: 2 },
    ]);
    await runner.waitFor('counts', position);
    const res = await app.inject({ url: '/projections', headers: as('reader') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      expect.objectContaining({
        name: 'counts',
        version: 1,
        position,
        lag: 0,
        lagMs: 0,
        headPosition: position,
      }),
    ]);
    expect(['live', 'catching_up']).toContain(res.json()[0].status);
  });

  it('POST /projections/{name}/rebuild starts a rebuild for admins (202) and 404s an unknown name', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/projections/counts/rebuild',
      headers: as('admin'),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ name: 'counts', status: 'rebuilding' });
    problem(
      await app.inject({ method: 'POST', url: '/projections/nope/rebuild', headers: as('admin') }),
      404,
      'ProjectionNotFound',
    );
    problem(
      await app.inject({ method: 'POST', url: '/projections/counts/rebuild', headers: as('reader') }),
      403,
      'Forbidden',
    );
  });
});
