import { createHash, randomUUID } from 'node:crypto';
import type { SagaDefinition, SagaRunner } from 'hindsight';
import { problemOf, type Routes } from 'hindsight/server';
import { z } from 'zod';
import { accountIdSchema, amountSchema, correlationIdOf } from './http.js';
import { type TransferInput, transferView } from './transfer.js';

const transferIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -')
  .describe('1 to 64 letters, digits, _ or -');

const transferView$ = z.object({
  transferId: z.string(),
  from: z.string(),
  to: z.string(),
  amount: z.number().int(),
  status: z.enum(['pending', 'completed', 'failed', 'compensated']),
  steps: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      error: z.string().optional(),
    }),
  ),
  reason: z.string().optional(),
});

/**
 * `POST /transfers` starts a transfer saga (debit the source, credit the target, refund the source when the credit
 * fails) and answers 202 at once; `GET /transfers/{id}` tells how it stands, from the saga's own stream.
 *
 * @example
 * transferRoutes(routes, { runner, saga: transferSaga(store) }); // inside a RouteModule
 */
export function transferRoutes(
  routes: Routes,
  transfers: { runner: SagaRunner; saga: SagaDefinition<TransferInput> },
): void {
  const { runner, saga } = transfers;
  routes.json({
    method: 'POST',
    path: '/transfers',
    summary: 'Starts a transfer between two accounts (a saga); answers at once',
    description:
      'Without transferId, one is made (derived from the Idempotency-Key when there is one). The same transferId ' +
      'with the same body again starts nothing and answers the same; with another body it is refused (409).',
    body: z.strictObject({
      transferId: transferIdSchema.optional(),
      from: accountIdSchema,
      to: accountIdSchema,
      amount: amountSchema,
    }),
    headers: {
      'Idempotency-Key': 'The same key and body again answers the first response and starts nothing',
      'X-Correlation-Id': 'Recorded on the transfer’s events as their correlationId',
    },
    responses: {
      202: {
        description: 'Started; follow it at GET /transfers/{id}',
        schema: z.object({ transferId: z.string(), position: z.number().int() }),
      },
    },
    problems: ['SagaExists'],
    handler: async (input) => {
      const { body, idempotencyKey } = input;
      if (body.from === body.to) {
        throw problemOf('InvalidInput', 'to (body): must be another account than from', {
          field: 'to',
          in: 'body',
        });
      }
      const transferId =
        body.transferId ??
        (idempotencyKey === undefined
          ? randomUUID()
          : createHash('sha256').update(`transfer\u0000${idempotencyKey}`).digest('base64url').slice(0, 22));
      const correlationId = correlationIdOf(input.headers);
      const started = await runner.startSaga(
        saga,
        transferId,
        { transferId, from: body.from, to: body.to, amount: body.amount },
        {
          actor: input.caller?.actor ?? 'anonymous',
          ...(correlationId === undefined ? {} : { correlationId }),
        },
      );
      return {
        status: 202,
        body: { transferId, position: started.position },
        headers: { location: `/transfers/${transferId}`, 'x-hindsight-position': String(started.position) },
      };
    },
  });

  routes.json({
    method: 'GET',
    path: '/transfers/{id}',
    summary: 'How a transfer stands: pending, completed, failed (nothing moved) or compensated (refunded)',
    params: z.object({ id: transferIdSchema }),
    responses: { 200: { description: 'The transfer and each of its steps', schema: transferView$ } },
    problems: ['TransferNotFound'],
    handler: async (input) => {
      const state = await runner.get(saga.name, input.params.id);
      if (state.status === 'none') {
        throw problemOf('TransferNotFound', `no transfer ${JSON.stringify(input.params.id)}`, {
          transferId: input.params.id,
        });
      }
      return {
        status: 200,
        body: transferView(state),
        headers: { etag: `"${state.version}"` },
      };
    },
  });
}
