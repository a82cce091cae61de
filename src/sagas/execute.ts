import { isHindsightError } from '../events/errors.js';
import type { EventMetadata, JsonValue, NewEvent } from '../events/event.js';
import type { EventStore } from '../store/event-store.js';
import { sleep } from '../time/sleep.js';
import type { SagaEvent } from './events.js';
import { loadSaga } from './load.js';
import { retryDelay, type SagaDefinition, type SagaStep, type StepContext, sagaStreamId } from './saga.js';
import { evolveSaga, nextSagaAction, type SagaState } from './state.js';

export interface RunSagaOptions {
  /** Stops the run between (or in the middle of) steps; a step cut short is run again on resume. */
  signal: AbortSignal;
  /** Registers the function that ends a wait early (a cancel or a retry request arrived). */
  onWake?: (wake: () => void) => void;
  /** Told after each event the run records. */
  onRecord?: (state: SagaState) => void;
}

/**
 * Runs one saga from where its history says it is until it ends, gets stuck, or the signal aborts. Each outcome
 * is appended to the saga's stream (at the version the run last saw) before the next step begins, so a run
 * killed at any point resumes from its stream.
 */
export async function runSaga<Input>(
  store: EventStore,
  definition: SagaDefinition<Input>,
  sagaId: string,
  options: RunSagaOptions,
): Promise<SagaState> {
  const { signal } = options;
  const streamId = sagaStreamId(definition.name, sagaId);
  let state = await loadSaga(store, definition.name, sagaId);

  const metadataOf = (): EventMetadata => ({
    ...state.origin,
    ...(state.startEventId === undefined ? {} : { causationId: state.startEventId }),
  });
  /** Appends at the version last seen; false when another writer got there first (the state is reloaded). */
  const record = async (events: SagaEvent[]): Promise<boolean> => {
    const metadata = metadataOf();
    const stored: NewEvent<string, unknown>[] = events.map((e) => ({ type: e.type, data: e.data, metadata }));
    try {
      const result = await store.appendToStream(streamId, stored, { expectedVersion: state.version });
      const recordedAt = new Date();
      events.forEach((e, i) => {
        state = evolveSaga(state, {
          id: '',
          type: e.type,
          data: e.data,
          metadata,
          streamVersion: result.streamVersion - events.length + i + 1,
          position: result.position - events.length + i + 1,
          recordedAt,
        });
      });
      options.onRecord?.(state);
      return true;
    } catch (error) {
      if (!isHindsightError(error, 'WrongExpectedVersion')) throw error;
      state = await loadSaga(store, definition.name, sagaId);
      return false;
    }
  };
  /** Records what a try came to; when a request (cancel, retry) slipped in first, records it on top of that. */
  const recordOutcome = async (events: SagaEvent[], stillOpen: (s: SagaState) => boolean): Promise<void> => {
    while (!(await record(events))) {
      if (!stillOpen(state)) return;
    }
  };

  /** A step whose start was recorded with the outcome before it. */
  let begun: { step: number; attempt: number } | undefined;
  while (!signal.aborted) {
    const action = nextSagaAction(definition, state, Date.now());
    switch (action.kind) {
      case 'none':
        return state;
      case 'wait':
        await sleep(Math.max(0, action.until - Date.now()), signal, options.onWake);
        state = await loadSaga(store, definition.name, sagaId);
        break;
      case 'deadline':
        await record([{ type: 'SagaDeadlineReached', data: { at: new Date().toISOString() } }]);
        break;
      case 'compensate': {
        const { reason, step, error } = action;
        const data = {
          reason,
          ...(step === undefined ? {} : { step }),
          ...(error === undefined ? {} : { error }),
        };
        await record([{ type: 'SagaCompensating', data }]);
        break;
      }
      case 'finish':
        await record([finishEvent(action.outcome, state)]);
        break;
      case 'run': {
        const step = definition.steps[action.step] as SagaStep<Input>;
        // Its start may already be recorded, with the outcome of the step before (the state then shows that try
        // as running, and the action asks for the one after it).
        const already = begun?.step === action.step ? begun : undefined;
        begun = undefined;
        const attempt = already ? already.attempt : action.attempt;
        if (!already && !(await record([{ type: 'SagaStepStarted', data: { step: step.name, attempt } }])))
          break;
        const outcome = await tryOnce(step.timeoutMs, signal, (stepSignal) =>
          step.action(contextOf(definition, state, step.name, attempt, stepSignal, metadataOf())),
        );
        if (outcome.kind === 'stopped') return state;
        const open = (s: SagaState) =>
          s.steps[action.step]?.status === 'running' && s.steps[action.step]?.attempts === attempt;
        if (outcome.kind === 'ok') {
          const result = outcome.value === undefined ? {} : { result: outcome.value };
          const succeeded: SagaEvent = {
            type: 'SagaStepSucceeded',
            data: { step: step.name, attempt, ...result },
          };
          // What comes next (the next step's start, or the end) goes in the same append: one commit, not two.
          const next = followUp(definition, state, succeeded);
          if (await record(next ? [succeeded, next.event] : [succeeded])) {
            begun = next?.begun;
          } else if (open(state)) {
            await recordOutcome([succeeded], open);
          }
          break;
        }
        const roundStart = state.steps[action.step]?.roundStart ?? 0;
        const retryable = outcome.kind === 'timeout' || (step.retryable?.(outcome.error) ?? true);
        const retryInMs = retryable ? retryDelay(step.retry, attempt - roundStart, 3) : undefined;
        const failed: SagaEvent = {
          type: 'SagaStepFailed',
          data: {
            step: step.name,
            attempt,
            error: describeError(outcome.error),
            ...(retryInMs === undefined ? {} : { retryInMs }),
            ...(outcome.kind === 'timeout' || step.inDoubt?.(outcome.error) ? { inDoubt: true } : {}),
          },
        };
        const pivotPassed = state.steps.some(
          (s, i) => definition.steps[i]?.pivot && s.status === 'succeeded',
        );
        const stuck = retryInMs === undefined && pivotPassed && !step.optional;
        await recordOutcome(
          stuck
            ? [failed, { type: 'SagaStuck', data: { step: step.name, error: failed.data.error } }]
            : [failed],
          open,
        );
        break;
      }
      case 'undo': {
        const step = definition.steps[action.step] as SagaStep<Input>;
        const { attempt } = action;
        const compensate = step.compensate as NonNullable<SagaStep<Input>['compensate']>;
        if (!(await record([{ type: 'SagaCompensationStarted', data: { step: step.name, attempt } }]))) break;
        const result = state.steps[action.step]?.result;
        const outcome = await tryOnce(step.timeoutMs, signal, (stepSignal) =>
          compensate({
            ...contextOf(definition, state, step.name, attempt, stepSignal, metadataOf()),
            idempotencyKey: `${stepKey(definition.name, state.sagaId, step.name)}:compensation`,
            result,
            reason: state.compensation?.reason ?? 'step_failed',
          }).then(() => undefined),
        );
        if (outcome.kind === 'stopped') return state;
        const open = (s: SagaState) =>
          s.steps[action.step]?.status === 'compensating' &&
          s.steps[action.step]?.compensationAttempts === attempt;
        if (outcome.kind === 'ok') {
          await recordOutcome([{ type: 'SagaStepCompensated', data: { step: step.name, attempt } }], open);
          break;
        }
        const roundStart = state.steps[action.step]?.compensationRoundStart ?? 0;
        const retryInMs = retryDelay(step.compensationRetry, attempt - roundStart, 5);
        const error = describeError(outcome.error);
        const failed: SagaEvent = {
          type: 'SagaCompensationFailed',
          data: { step: step.name, attempt, error, ...(retryInMs === undefined ? {} : { retryInMs }) },
        };
        await recordOutcome(
          retryInMs === undefined
            ? [failed, { type: 'SagaStuck', data: { step: step.name, error } }]
            : [failed],
          open,
        );
        break;
      }
    }
  }
  return state;
}

/** The event that follows a step's success at once, when there is one: the next step's start, or the end. */
function followUp<Input>(
  definition: SagaDefinition<Input>,
  state: SagaState,
  succeeded: SagaEvent,
): { event: SagaEvent; begun?: { step: number; attempt: number } } | undefined {
  const preview = evolveSaga(state, {
    id: '',
    type: succeeded.type,
    data: succeeded.data,
    metadata: {},
    streamVersion: state.version + 1,
    position: 0,
    recordedAt: new Date(),
  });
  const next = nextSagaAction(definition, preview, Date.now());
  if (next.kind === 'finish') return { event: finishEvent(next.outcome, preview) };
  if (next.kind !== 'run') return undefined;
  const step = definition.steps[next.step] as SagaStep<Input>;
  return {
    event: { type: 'SagaStepStarted', data: { step: step.name, attempt: next.attempt } },
    begun: { step: next.step, attempt: next.attempt },
  };
}

function finishEvent(outcome: 'completed' | 'compensated' | 'failed', state: SagaState): SagaEvent {
  switch (outcome) {
    case 'completed':
      return { type: 'SagaCompleted', data: {} };
    case 'compensated':
      return { type: 'SagaCompensated', data: {} };
    case 'failed':
      return {
        type: 'SagaFailed',
        data: { step: state.compensation?.step ?? '', error: state.compensation?.error ?? 'failed' },
      };
  }
}

/** The idempotency key of a step of a saga: the same on every try, in every process. */
export function stepKey(sagaName: string, sagaId: string, step: string): string {
  return `saga:${sagaName}:${sagaId}:${step}`;
}

function contextOf<Input>(
  definition: SagaDefinition<Input>,
  state: SagaState,
  step: string,
  attempt: number,
  signal: AbortSignal,
  metadata: EventMetadata,
): StepContext<Input> {
  const results: Record<string, JsonValue | undefined> = {};
  for (const s of state.steps) if (s.status === 'succeeded') results[s.name] = s.result;
  return {
    sagaId: state.sagaId,
    input: state.input as Input,
    results,
    idempotencyKey: stepKey(definition.name, state.sagaId, step),
    attempt,
    signal,
    metadata: { ...metadata, saga: definition.name, sagaId: state.sagaId, step },
  };
}

type TryOutcome =
  | { kind: 'ok'; value: JsonValue | undefined }
  | { kind: 'failed'; error: unknown }
  | { kind: 'timeout'; error: unknown }
  | { kind: 'stopped' };

/** One try of an action, abandoned at its timeout or when the run stops. */
async function tryOnce(
  timeoutMs: number | undefined,
  runSignal: AbortSignal,
  // biome-ignore lint/suspicious/noConfusingVoidType: the step's own return type, as declared.
  action: (signal: AbortSignal) => Promise<JsonValue | undefined | void>,
): Promise<TryOutcome> {
  const limit = timeoutMs ?? 30_000;
  const controller = new AbortController();
  let settle: (outcome: TryOutcome) => void = () => {};
  const cut = new Promise<TryOutcome>((resolve) => {
    settle = resolve;
  });
  const timer = setTimeout(() => {
    const error = new Error(`timed out after ${limit} ms`);
    error.name = 'StepTimedOut';
    controller.abort(error);
    settle({ kind: 'timeout', error });
  }, limit);
  const stop = () => {
    controller.abort(runSignal.reason);
    settle({ kind: 'stopped' });
  };
  runSignal.addEventListener('abort', stop, { once: true });
  try {
    return await Promise.race([
      action(controller.signal).then(
        (value): TryOutcome => ({ kind: 'ok', value: value ?? undefined }),
        (error: unknown): TryOutcome => ({ kind: 'failed', error }),
      ),
      cut,
    ]);
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', stop);
  }
}

/** A failure as one line for the saga's history: the error's code or name, then its message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const label = typeof code === 'string' ? code : error.name;
    return `${label}: ${error.message}`.slice(0, 1000);
  }
  return String(error).slice(0, 1000);
}
