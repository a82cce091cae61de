import { deriveEventId } from '../commands/event-ids.js';
import { HindsightError, isHindsightError } from '../events/errors.js';
import type { EventMetadata, JsonValue, NewEvent, RecordedEvent } from '../events/event.js';
import type { EventStore } from '../store/event-store.js';
import type { SagaEvent } from './events.js';
import { type SagaDefinition, sagaStreamId } from './saga.js';
import { evolveSaga, initialSagaState, type SagaState } from './state.js';

/** A saga's state folded from its stream; `status: 'none'` when it was never started. */
export async function loadSaga(store: EventStore, sagaName: string, sagaId: string): Promise<SagaState> {
  let state = initialSagaState();
  for await (const event of store.readStream(sagaStreamId(sagaName, sagaId)))
    state = evolveSaga(state, event);
  return state;
}

/** A saga's whole history, as stored. */
export async function sagaHistory(
  store: EventStore,
  sagaName: string,
  sagaId: string,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(sagaStreamId(sagaName, sagaId))) events.push(event);
  return events;
}

/** What starting a saga did. */
export interface StartedSaga {
  sagaId: string;
  /** False when a saga with this id had already started: nothing was appended. */
  created: boolean;
  /** The position of its `SagaStarted` event. */
  position: number;
}

/** Another saga with this id was started with different input. */
export class SagaInputMismatchError extends HindsightError {
  constructor(
    readonly saga: string,
    readonly sagaId: string,
  ) {
    super('SagaExists', `saga ${saga} ${sagaId} was already started with other input`);
  }
}

/**
 * Records a saga's start: its input, its steps and its deadline. Starting the same id again with the same input
 * does nothing and says so (`created: false`); with other input it throws `SagaExists`.
 */
export async function startSaga<Input>(
  store: EventStore,
  definition: SagaDefinition<Input>,
  sagaId: string,
  input: Input,
  metadata: EventMetadata = {},
): Promise<StartedSaga> {
  const streamId = sagaStreamId(definition.name, sagaId);
  const description = definition.describe?.(input);
  const started: SagaEvent = {
    type: 'SagaStarted',
    data: {
      saga: definition.name,
      sagaId,
      input: input as JsonValue,
      steps: definition.steps.map((s) => s.name),
      ...(description === undefined ? {} : { description }),
    },
  };
  const startId = deriveEventId('start', streamId, 0);
  const meta: EventMetadata = { correlationId: startId, ...metadata };
  const events: NewEvent<string, unknown>[] = [{ ...started, id: startId, metadata: meta }];
  if (definition.deadlineMs !== undefined) {
    const at = new Date(Date.now() + definition.deadlineMs).toISOString();
    events.push({ type: 'SagaDeadlineScheduled', data: { at }, metadata: { ...meta, causationId: startId } });
  }
  const existing = async (): Promise<StartedSaga | undefined> => {
    const first = await store.readEvent(startId);
    if (!first) return undefined;
    if (
      JSON.stringify((first.data as { input?: JsonValue }).input ?? null) !==
      JSON.stringify(started.data.input ?? null)
    ) {
      throw new SagaInputMismatchError(definition.name, sagaId);
    }
    return { sagaId, created: false, position: first.position };
  };
  const earlier = await existing();
  if (earlier) return earlier;
  try {
    const result = await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
    return { sagaId, created: true, position: result.position - events.length + 1 };
  } catch (error) {
    if (!isHindsightError(error, 'WrongExpectedVersion') && !isHindsightError(error, 'DuplicateEventId'))
      throw error;
    const twin = await existing();
    if (!twin) throw error;
    return twin;
  }
}

/** No saga of this kind has this id. */
export class SagaNotFoundError extends HindsightError {
  constructor(
    readonly saga: string,
    readonly sagaId: string,
  ) {
    super('SagaNotFound', `no saga ${saga} has the id ${sagaId}`);
  }
}

/** The saga is not in a state where the request applies (ended, or not stuck for a retry). */
export class SagaRequestRefusedError extends HindsightError {
  constructor(
    readonly saga: string,
    readonly sagaId: string,
    readonly status: SagaState['status'],
    why: string,
  ) {
    super('SagaRequestRefused', `saga ${saga} ${sagaId} is ${status}: ${why}`);
  }
}

/**
 * Records an operator's or a user's request on a running saga: `cancel` (compensate what was done, unless the
 * saga is past its pivot) or `retry` (a stuck saga tries its step again). The runner acts on it.
 */
export async function requestSaga(
  store: EventStore,
  sagaName: string,
  sagaId: string,
  request: { kind: 'cancel' | 'retry'; reason: string; actor: string },
): Promise<SagaState> {
  for (;;) {
    const state = await loadSaga(store, sagaName, sagaId);
    if (request.kind === 'retry' && state.status !== 'stuck') {
      throw new SagaRequestRefusedError(sagaName, sagaId, state.status, 'only a stuck saga can be retried');
    }
    if (state.status === 'none') throw new SagaNotFoundError(sagaName, sagaId);
    if (request.kind === 'cancel' && state.status !== 'running') {
      throw new SagaRequestRefusedError(
        sagaName,
        sagaId,
        state.status,
        'only a running saga can be cancelled',
      );
    }
    const type = request.kind === 'cancel' ? 'SagaCancelRequested' : 'SagaRetryRequested';
    const metadata: EventMetadata = {
      ...state.origin,
      actor: request.actor,
      ...(state.startEventId === undefined ? {} : { causationId: state.startEventId }),
    };
    try {
      await store.appendToStream(
        sagaStreamId(sagaName, sagaId),
        [{ type, data: { reason: request.reason }, metadata }],
        {
          expectedVersion: state.version,
        },
      );
      return await loadSaga(store, sagaName, sagaId);
    } catch (error) {
      if (!isHindsightError(error, 'WrongExpectedVersion')) throw error;
    }
  }
}
