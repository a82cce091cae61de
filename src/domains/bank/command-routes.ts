import { createHash, randomUUID } from 'node:crypto';
import {
  createStateCache,
  type EventStore,
  handleCommand,
  type SnapshotPolicy,
  type SnapshotStore,
  type StateCache,
} from 'hindsight';
import type { RouteInput, Routes } from 'hindsight/server';
import { z } from 'zod';
import { type AccountCommand, type AccountState, account, accountStream } from './account.js';
import {
  accountIdSchema,
  accountParams,
  accountProblem,
  amountSchema,
  correlationIdOf,
  parseIfMatch,
} from './http.js';

const commandHeaders = {
  'If-Match': '"<version>": run the command only if the account is at this version (stale: 412)',
  'Idempotency-Key': 'The same key and body again answers the first response and appends nothing',
  'X-Correlation-Id': 'Recorded on the events as their correlationId (default: one per command)',
};

const moved = z.object({
  accountId: z.string(),
  balance: z.number().int(),
  version: z.number().int(),
  position: z.number().int(),
});

const refusals = ['AccountNotFound', 'AccountClosed', 'WrongExpectedVersion'] as const;

/** Runs an account command for the caller: their actor on the events, their `If-Match` and idempotency key. */
async function runCommand(
  store: EventStore,
  snapshots: SnapshotPolicy<AccountState>,
  cache: StateCache<AccountState>,
  accountId: string,
  command: AccountCommand,
  input: RouteInput<unknown, unknown, unknown>,
) {
  const expectedVersion = parseIfMatch(input.headers['if-match']);
  const correlationId = correlationIdOf(input.headers);
  try {
    return await handleCommand(store, accountStream(accountId), account, command, {
      expectedVersion: expectedVersion === 'any' ? undefined : expectedVersion,
      idempotencyKey: input.idempotencyKey,
      snapshots,
      cache,
      // The token's actor, always: nothing the client sends can change who is recorded.
      metadata: {
        actor: input.caller?.actor ?? 'anonymous',
        ...(correlationId === undefined ? {} : { correlationId }),
      },
    });
  } catch (error) {
    throw accountProblem(error, accountId, expectedVersion !== undefined && expectedVersion !== 'any');
  }
}

const reply = (
  status: number,
  accountId: string,
  r: { state: { balance: number }; streamVersion: number; position: number },
) => ({
  status,
  body: { accountId, balance: r.state.balance, version: r.streamVersion, position: r.position },
  headers: { etag: `"${r.streamVersion}"`, 'x-hindsight-position': String(r.position) },
});

/** How account states are snapshotted, by the HTTP commands and the transfer saga alike. */
export function accountSnapshots(store: SnapshotStore): SnapshotPolicy<AccountState> {
  // Shape 2: the state gained `transfers`; snapshots of shape 1 are ignored and replaced.
  return { store, name: 'account', shapeVersion: 2, every: 100 };
}

/**
 * The account commands: open, deposit, withdraw, close (writers).
 *
 * @example
 * accountCommandRoutes(routes, store); // inside a RouteModule
 */
export function accountCommandRoutes(routes: Routes, store: EventStore, snapshotStore: SnapshotStore): void {
  const snapshots = accountSnapshots(snapshotStore);
  // The accounts commanded lately, so a command reads only what was appended since the last (usually nothing).
  const cache = createStateCache<AccountState>({ maxStreams: 10_000 });
  const run = (id: string, command: AccountCommand, input: RouteInput<unknown, unknown, unknown>) =>
    runCommand(store, snapshots, cache, id, command, input);
  routes.json({
    method: 'POST',
    path: '/accounts',
    summary: 'Opens an account',
    description:
      'Without accountId, one is made (derived from the Idempotency-Key when there is one, so a retry opens ' +
      'the same account). The currency defaults to EUR.',
    body: z.strictObject({
      accountId: accountIdSchema.optional(),
      owner: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/, 'must be three capital letters (ISO 4217)')
        .optional()
        .describe('ISO 4217 code; default EUR'),
    }),
    headers: commandHeaders,
    responses: {
      201: {
        description: 'Opened; ETag is the account’s version',
        schema: z.object({ accountId: z.string(), version: z.number().int(), position: z.number().int() }),
      },
    },
    problems: ['AccountExists'],
    handler: async (input) => {
      const { body, idempotencyKey } = input;
      const accountId =
        body.accountId ??
        (idempotencyKey === undefined
          ? randomUUID()
          : createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 22));
      const r = await run(
        accountId,
        { type: 'OpenAccount', data: { owner: body.owner, currency: body.currency ?? 'EUR' } },
        input,
      );
      return {
        status: 201,
        body: { accountId, version: r.streamVersion, position: r.position },
        headers: { etag: `"${r.streamVersion}"`, 'x-hindsight-position': String(r.position) },
      };
    },
  });

  for (const [path, type, summary] of [
    ['deposits', 'Deposit', 'Deposits money into an open account'],
    ['withdrawals', 'Withdraw', 'Withdraws money from an open account, never below zero'],
  ] as const) {
    routes.json({
      method: 'POST',
      path: `/accounts/{id}/${path}`,
      summary,
      params: accountParams,
      body: z.strictObject({ amount: amountSchema }),
      headers: commandHeaders,
      responses: { 201: { description: 'Done; ETag is the account’s new version', schema: moved } },
      problems:
        type === 'Withdraw' ? [...refusals, 'InsufficientFunds'] : [...refusals, 'BalanceLimitExceeded'],
      handler: async (input) => {
        const r = await run(input.params.id, { type, data: { amount: input.body.amount } }, input);
        return reply(201, input.params.id, r);
      },
    });
  }

  routes.json({
    method: 'POST',
    path: '/accounts/{id}/close',
    summary: 'Closes an empty account; it then refuses deposits and withdrawals',
    params: accountParams,
    headers: commandHeaders,
    responses: { 200: { description: 'Closed', schema: moved } },
    problems: [...refusals, 'AccountNotEmpty'],
    handler: async (input) => {
      const r = await run(input.params.id, { type: 'CloseAccount', data: {} }, input);
      return reply(200, input.params.id, r);
    },
  });
}
