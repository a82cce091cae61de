import type { EventMetadata, JsonValue } from '../events/event.js';
import type { CompensationReason, SagaEvent } from './events.js';
import type { SagaDefinition } from './saga.js';

/** Where a saga is: `stuck` waits for an operator; the last three are the ends. */
export type SagaStatus =
  | 'none'
  | 'running'
  | 'compensating'
  | 'stuck'
  | 'completed'
  | 'compensated'
  | 'failed';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'compensating' | 'compensated';

/** One step as the saga's history tells it. */
export interface StepState {
  name: string;
  status: StepStatus;
  /** Tries of the action so far (a try cut short by a crash counts). */
  attempts: number;
  result?: JsonValue;
  error?: string;
  /** A try failed in a way that may still have had its effect (a timeout, an answer lost): compensate it to be sure. */
  inDoubt?: boolean;
  /** When the next try is due, after a failed one (ms since the epoch). */
  retryAt?: number;
  compensationAttempts: number;
  compensationRetryAt?: number;
  /** Tries made before the operator's last retry request: the retry policy counts from here. */
  roundStart: number;
  compensationRoundStart: number;
}

/** A saga's state: the fold of its stream. */
export interface SagaState {
  status: SagaStatus;
  saga: string;
  sagaId: string;
  input: JsonValue;
  description?: string;
  steps: StepState[];
  /** The saga stream's version this state covers. */
  version: number;
  /** Position of the `SagaStarted` event. */
  startPosition: number;
  startedAt?: Date;
  endedAt?: Date;
  /** Who started it and the correlation id its steps carry. */
  origin: EventMetadata;
  startEventId?: string;
  deadline?: number;
  deadlineReached: boolean;
  cancelRequested?: string;
  compensation?: { reason: CompensationReason; step?: string; error?: string };
  stuck?: { step: string; error: string };
  failure?: { step: string; error: string };
}

/** The part of a recorded event the fold reads. */
export interface SagaRecord {
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  streamVersion: number;
  position: number;
  recordedAt: Date;
}

export function initialSagaState(): SagaState {
  return {
    status: 'none',
    saga: '',
    sagaId: '',
    input: null,
    steps: [],
    version: 0,
    startPosition: 0,
    origin: {},
    deadlineReached: false,
  };
}

/** Applies one event of the saga's stream. */
export function evolveSaga(state: SagaState, record: SagaRecord): SagaState {
  const event = record as unknown as SagaEvent & { recordedAt: Date };
  const next: SagaState = { ...state, version: record.streamVersion };
  const at = record.recordedAt.getTime();
  const step = (name: string, change: (s: StepState) => StepState): void => {
    next.steps = next.steps.map((s) => (s.name === name ? change(s) : s));
  };
  switch (event.type) {
    case 'SagaStarted':
      next.status = 'running';
      next.saga = event.data.saga;
      next.sagaId = event.data.sagaId;
      next.input = event.data.input;
      next.description = event.data.description;
      next.steps = event.data.steps.map((name) => ({
        name,
        status: 'pending',
        attempts: 0,
        compensationAttempts: 0,
        roundStart: 0,
        compensationRoundStart: 0,
      }));
      next.startPosition = record.position;
      next.startedAt = record.recordedAt;
      next.startEventId = record.id;
      next.origin = {
        ...(record.metadata.actor === undefined ? {} : { actor: record.metadata.actor }),
        correlationId: record.metadata.correlationId ?? record.id,
      };
      break;
    case 'SagaDeadlineScheduled':
      next.deadline = Date.parse(event.data.at);
      break;
    case 'SagaStepStarted':
      step(event.data.step, (s) => {
        // A try that began and has no outcome was cut short (a crash, a stop): it may have taken effect.
        const cutShort = s.status === 'running' && s.retryAt === undefined && s.attempts > 0;
        const doubt = cutShort || s.inDoubt === true ? { inDoubt: true } : {};
        return { ...s, status: 'running', attempts: event.data.attempt, retryAt: undefined, ...doubt };
      });
      break;
    case 'SagaStepSucceeded':
      step(event.data.step, (s) => ({
        ...s,
        status: 'succeeded',
        result: event.data.result,
        error: undefined,
        inDoubt: undefined,
        retryAt: undefined,
      }));
      break;
    case 'SagaStepFailed': {
      const { retryInMs, error, inDoubt } = event.data;
      // Once any try may have taken effect, the step stays in doubt until a try succeeds: a later try that
      // failed before doing anything does not undo an earlier one's effect.
      step(event.data.step, (s) => {
        const doubt = s.inDoubt === true || inDoubt === true ? { inDoubt: true } : {};
        return retryInMs === undefined
          ? { ...s, status: 'failed', error, ...doubt, retryAt: undefined }
          : { ...s, status: 'running', error, ...doubt, retryAt: at + retryInMs };
      });
      break;
    }
    case 'SagaCompensating':
      next.status = 'compensating';
      next.compensation = event.data;
      break;
    case 'SagaCompensationStarted':
      step(event.data.step, (s) => ({
        ...s,
        status: 'compensating',
        compensationAttempts: event.data.attempt,
        compensationRetryAt: undefined,
      }));
      break;
    case 'SagaStepCompensated':
      step(event.data.step, (s) => ({ ...s, status: 'compensated', compensationRetryAt: undefined }));
      break;
    case 'SagaCompensationFailed': {
      const { retryInMs, error } = event.data;
      step(event.data.step, (s) => ({
        ...s,
        error,
        compensationRetryAt: retryInMs === undefined ? undefined : at + retryInMs,
      }));
      break;
    }
    case 'SagaStuck':
      next.status = 'stuck';
      next.stuck = event.data;
      break;
    case 'SagaRetryRequested':
      if (state.status !== 'stuck' || !state.stuck) break;
      next.status = state.compensation ? 'compensating' : 'running';
      step(state.stuck.step, (s) =>
        state.compensation
          ? { ...s, compensationRoundStart: s.compensationAttempts, compensationRetryAt: undefined }
          : { ...s, status: 'pending', roundStart: s.attempts, retryAt: undefined },
      );
      next.stuck = undefined;
      break;
    case 'SagaCancelRequested':
      if (next.cancelRequested === undefined) next.cancelRequested = event.data.reason;
      break;
    case 'SagaDeadlineReached':
      next.deadlineReached = true;
      break;
    case 'SagaCompleted':
      next.status = 'completed';
      next.endedAt = record.recordedAt;
      break;
    case 'SagaCompensated':
      next.status = 'compensated';
      next.endedAt = record.recordedAt;
      break;
    case 'SagaFailed':
      next.status = 'failed';
      next.failure = event.data;
      next.endedAt = record.recordedAt;
      break;
  }
  return next;
}

/** What the saga should do next, decided from its state alone (no I/O). */
export type SagaAction =
  /** Ended, stuck, or not started: nothing to do. */
  | { kind: 'none' }
  /** A failed try's retry is not due yet. */
  | { kind: 'wait'; until: number }
  | { kind: 'deadline' }
  | { kind: 'compensate'; reason: CompensationReason; step?: string; error?: string }
  | { kind: 'run'; step: number; attempt: number }
  | { kind: 'undo'; step: number; attempt: number }
  | { kind: 'finish'; outcome: 'completed' | 'compensated' | 'failed' };

/** Decides the saga's next action at time `now` (ms since the epoch). */
export function nextSagaAction<Input>(
  definition: SagaDefinition<Input>,
  state: SagaState,
  now: number,
): SagaAction {
  if (state.status === 'running') return nextForward(definition, state, now);
  if (state.status === 'compensating') return nextBackward(definition, state, now);
  return { kind: 'none' };
}

function nextForward<Input>(definition: SagaDefinition<Input>, state: SagaState, now: number): SagaAction {
  const pivotPassed = state.steps.some((s, i) => definition.steps[i]?.pivot && s.status === 'succeeded');
  if (!pivotPassed) {
    if (state.deadline !== undefined && now >= state.deadline && !state.deadlineReached)
      return { kind: 'deadline' };
    if (state.deadlineReached) return { kind: 'compensate', reason: 'deadline' };
    if (state.cancelRequested !== undefined) return { kind: 'compensate', reason: 'cancelled' };
  }
  const index = state.steps.findIndex(
    (s, i) => s.status !== 'succeeded' && !(s.status === 'failed' && definition.steps[i]?.optional),
  );
  if (index === -1) return { kind: 'finish', outcome: 'completed' };
  const step = state.steps[index] as StepState;
  if (step.status === 'failed') {
    return { kind: 'compensate', reason: 'step_failed', step: step.name, error: step.error ?? 'failed' };
  }
  if (step.retryAt !== undefined && now < step.retryAt) {
    const until =
      pivotPassed || state.deadline === undefined ? step.retryAt : Math.min(step.retryAt, state.deadline);
    return { kind: 'wait', until };
  }
  return { kind: 'run', step: index, attempt: step.attempts + 1 };
}

function nextBackward<Input>(definition: SagaDefinition<Input>, state: SagaState, now: number): SagaAction {
  for (let i = state.steps.length - 1; i >= 0; i--) {
    const step = state.steps[i] as StepState;
    if (!definition.steps[i]?.compensate || !needsUndo(step)) continue;
    if (step.compensationRetryAt !== undefined && now < step.compensationRetryAt) {
      return { kind: 'wait', until: step.compensationRetryAt };
    }
    return { kind: 'undo', step: i, attempt: step.compensationAttempts + 1 };
  }
  const undone = state.steps.some((s) => s.status === 'compensated');
  const failedOnly = state.compensation?.reason === 'step_failed' && !undone;
  return { kind: 'finish', outcome: failedOnly ? 'failed' : 'compensated' };
}

// A step is undone when it succeeded, or when it may have had its effect: a try cut short by a crash
// (`running` with no outcome) or one abandoned at its timeout.
function needsUndo(step: StepState): boolean {
  if (step.status === 'succeeded' || step.status === 'compensating') return true;
  if (step.status === 'running')
    return step.attempts > 0 && (step.retryAt === undefined || step.inDoubt === true);
  return step.status === 'failed' && step.inDoubt === true;
}
