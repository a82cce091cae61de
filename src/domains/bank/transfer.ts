import {
  createStateCache,
  defineSaga,
  type EventStore,
  handleCommand,
  type SagaDefinition,
  type SagaState,
  type SnapshotPolicy,
} from 'hindsight';
import { AccountError, type AccountState, account, accountStream } from './account.js';

/** A transfer of `amount` minor units from one account to another. */
export interface TransferInput {
  transferId: string;
  from: string;
  to: string;
  amount: number;
}

/** How a transfer stands, as `GET /transfers/{id}` tells it. */
export interface TransferView extends TransferInput {
  /** `pending` until it ends (also while stuck, with the reason). */
  status: 'pending' | 'completed' | 'failed' | 'compensated';
  steps: { name: string; status: string; attempts: number; error?: string }[];
  reason?: string;
}

// A refusal of the account (no such account, too little money, closed) will not change on a retry.
const refusal = (error: unknown) => !(error instanceof AccountError);

/**
 * A transfer as a saga of two steps on two accounts: debit the source, then credit the target; when the credit
 * fails, the debit is refunded. Each leg's command carries the step's idempotency key, and a leg repeated with
 * the same transfer id emits nothing, so a transfer resumed after a crash never moves money twice.
 *
 * @example
 * const runner = createSagaRunner(store, [transferSaga(store)]);
 * await runner.start();
 * await runner.startSaga(transferSaga(store), 't-1', { transferId: 't-1', from: 'ada', to: 'bo', amount: 500 });
 */
export function transferSaga(
  store: EventStore,
  options: { snapshots?: SnapshotPolicy<AccountState> } = {},
): SagaDefinition<TransferInput> {
  const { snapshots } = options;
  // The legs' accounts, so a leg reads only what was appended to its account since the last leg there.
  const cache = createStateCache<AccountState>({ maxStreams: 10_000 });
  return defineSaga<TransferInput>({
    name: 'transfer',
    describe: (t) => `transfer ${t.amount} from ${t.from} to ${t.to}`,
    steps: [
      {
        name: 'debit',
        retryable: refusal,
        retry: { maxAttempts: 5 },
        action: async ({ input, idempotencyKey, metadata }) => {
          const { transferId, to, amount } = input;
          const result = await handleCommand(
            store,
            accountStream(input.from),
            account,
            { type: 'DebitTransfer', data: { transferId, to, amount } },
            { idempotencyKey, metadata, snapshots, cache },
          );
          return { position: result.position };
        },
        compensate: async ({ input, idempotencyKey, metadata }) => {
          const { transferId, amount } = input;
          await handleCommand(
            store,
            accountStream(input.from),
            account,
            { type: 'RefundTransfer', data: { transferId, amount } },
            { idempotencyKey, metadata, snapshots, cache },
          );
        },
      },
      {
        name: 'credit',
        retryable: refusal,
        retry: { maxAttempts: 5 },
        action: async ({ input, idempotencyKey, metadata }) => {
          const { transferId, from, amount } = input;
          const result = await handleCommand(
            store,
            accountStream(input.to),
            account,
            { type: 'CreditTransfer', data: { transferId, from, amount } },
            { idempotencyKey, metadata, snapshots, cache },
          );
          return { position: result.position };
        },
      },
    ],
  });
}

/** A transfer's saga state as the API shows it. */
export function transferView(state: SagaState): TransferView {
  const input = state.input as unknown as TransferInput;
  const status =
    state.status === 'completed' || state.status === 'failed' || state.status === 'compensated'
      ? state.status
      : 'pending';
  const reason =
    state.status === 'stuck'
      ? `stuck at ${state.stuck?.step}: ${state.stuck?.error}`
      : state.failure
        ? `${state.failure.step} failed: ${state.failure.error}`
        : state.compensation
          ? `${state.compensation.step ?? state.compensation.reason} failed: ${state.compensation.error ?? state.compensation.reason}`
          : undefined;
  return {
    transferId: input.transferId,
    from: input.from,
    to: input.to,
    amount: input.amount,
    status,
    steps: state.steps.map((s) => ({
      name: s.name,
      status: s.status,
      attempts: s.attempts,
      ...(s.error === undefined ? {} : { error: s.error }),
    })),
    ...(reason === undefined ? {} : { reason }),
  };
}
