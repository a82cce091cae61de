import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createSagaRunner, defineSaga, type SagaDefinition, type SagaRunner } from 'hindsight';
import { createSqliteEventStore, type SqliteEventStore } from 'hindsight/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, parseTokens } from '../../src/server/index.js';
import { auth, problem, tokens } from './support.js';

describe('saga operations over HTTP', () => {
  let dir: string;
  let store: SqliteEventStore;
  let runner: SagaRunner;
  let app: FastifyInstance;
  let refundWorks = false;
  const saga = defineSaga<{ n: number }>({
    name: 'payout',
    steps: [
      {
        name: 'pay',
        action: async () => ({ paid: true }),
        compensate: async () => {
          if (!refundWorks) throw new Error('bank offline');
        },
        compensationRetry: { maxAttempts: 2, initialDelayMs: 5 },
      },
      {
        name: 'confirm',
        action: async ({ input }) => {
          if (input.n < 0) throw new Error('negative');
          return { ok: true };
        },
        retryable: () => false,
      },
    ],
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hindsight-saga-routes-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
    runner = createSagaRunner(store, [saga as SagaDefinition<unknown>], { pollIntervalMs: 10 });
    await runner.start();
    app = await buildServer({
      store,
      sagas: runner,
      tokens: parseTokens(
        `${tokens.reader}:rita:reader,${tokens.writer}:will:writer,${tokens.admin}:ada:admin`,
      ),
    });
  });
  afterAll(async () => {
    await app.close();
    await runner.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a stuck saga with its story, and lets only an admin retry it to the end', async () => {
    await runner.startSaga(saga, 'p1', { n: -1 }, { actor: 'will' });
    expect((await runner.waitFor('payout', 'p1')).status).toBe('stuck');

    const kinds = await app.inject({ url: '/sagas', headers: auth('reader') });
    expect(kinds.json()).toEqual([
      expect.objectContaining({ saga: 'payout', state: 'running', stuck: ['p1'] }),
    ]);
    const shown = await app.inject({ url: '/sagas/payout/p1', headers: auth('reader') });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      status: 'stuck',
      stuck: { step: 'pay', error: 'Error: bank offline' },
      steps: [
        { name: 'pay', status: 'compensating' },
        { name: 'confirm', status: 'failed' },
      ],
    });
    expect(shown.json().story.join('\n')).toContain('STUCK at step pay (Error: bank offline)');

    const url = '/sagas/payout/p1/retry';
    const body = { reason: 'the bank is back' };
    problem(
      await app.inject({ method: 'POST', url, headers: auth('writer'), payload: body }),
      403,
      'Forbidden',
    );
    problem(
      await app.inject({ method: 'POST', url, headers: auth('admin'), payload: {} }),
      400,
      'InvalidInput',
    );
    refundWorks = true;
    const retried = await app.inject({ method: 'POST', url, headers: auth('admin'), payload: body });
    expect(retried.statusCode).toBe(202);
    expect((await runner.waitFor('payout', 'p1')).status).toBe('compensated');
    const story = (await app.inject({ url: '/sagas/payout/p1', headers: auth('reader') }))
      .json()
      .story.join('\n');
    expect(story).toContain('ada: asked to retry: the bank is back');
    problem(
      await app.inject({ method: 'POST', url, headers: auth('admin'), payload: body }),
      409,
      'SagaRequestRefused',
    );
  });

  it('answers 404 for an unknown saga or kind', async () => {
    problem(await app.inject({ url: '/sagas/payout/nope', headers: auth('reader') }), 404, 'SagaNotFound');
    problem(await app.inject({ url: '/sagas/other/p1', headers: auth('reader') }), 404, 'SagaNotFound');
    problem(
      await app.inject({
        method: 'POST',
        url: '/sagas/payout/nope/cancel',
        headers: auth('admin'),
        payload: { reason: 'x' },
      }),
      404,
      'SagaNotFound',
    );
  });
});
