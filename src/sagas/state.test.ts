import { describe, expect, it } from 'vitest';
import type { SagaEvent } from './events.js';
import { defineSaga, type SagaStep } from './saga.js';
import { evolveSaga, initialSagaState, nextSagaAction, type SagaState } from './state.js';

const step = (name: string, more: Partial<SagaStep<null>> = {}): SagaStep<null> => ({
  name,
  action: async () => undefined,
  compensate: async () => {},
  ...more,
});
const saga = defineSaga<null>({ name: 's', steps: [step('a'), step('b', { pivot: false }), step('c')] });
const pivoted = defineSaga<null>({ name: 'p', steps: [step('a'), step('b', { pivot: true }), step('c')] });

/** Folds events recorded at `t0 + i` ms. */
function history(events: SagaEvent[], t0 = 1_000): SagaState {
  return events.reduce(
    (state, e, i) =>
      evolveSaga(state, {
        id: `e${i}`,
        type: e.type,
        data: e.data,
        metadata: { actor: 'ada' },
        streamVersion: i + 1,
        position: i + 1,
        recordedAt: new Date(t0 + i),
      }),
    initialSagaState(),
  );
}

const started: SagaEvent = {
  type: 'SagaStarted',
  data: { saga: 's', sagaId: '1', input: null, steps: ['a', 'b', 'c'] },
};
const run = (s: string, attempt = 1): SagaEvent => ({ type: 'SagaStepStarted', data: { step: s, attempt } });
const ok = (s: string, attempt = 1): SagaEvent => ({ type: 'SagaStepSucceeded', data: { step: s, attempt } });
const failed = (
  s: string,
  extra: { retryInMs?: number; inDoubt?: boolean } = {},
  attempt = 1,
): SagaEvent => ({
  type: 'SagaStepFailed',
  data: { step: s, attempt, error: 'E: no', ...extra },
});

describe('nextSagaAction', () => {
  it('does nothing before the start, runs the steps in order, then finishes', () => {
    expect(nextSagaAction(saga, initialSagaState(), 0)).toEqual({ kind: 'none' });
    expect(nextSagaAction(saga, history([started]), 0)).toEqual({ kind: 'run', step: 0, attempt: 1 });
    expect(nextSagaAction(saga, history([started, run('a'), ok('a')]), 0)).toEqual({
      kind: 'run',
      step: 1,
      attempt: 1,
    });
    const done = history([started, run('a'), ok('a'), run('b'), ok('b'), run('c'), ok('c')]);
    expect(nextSagaAction(saga, done, 0)).toEqual({ kind: 'finish', outcome: 'completed' });
  });

  it('waits for a retry that is not due, then runs the next try', () => {
    const state = history([started, run('a'), failed('a', { retryInMs: 100 })]);
    expect(nextSagaAction(saga, state, 1_050)).toEqual({ kind: 'wait', until: 1_102 });
    expect(nextSagaAction(saga, state, 1_200)).toEqual({ kind: 'run', step: 0, attempt: 2 });
  });

  it('turns back on a failure for good and undoes the steps done, last first, then ends compensated', () => {
    const state = history([started, run('a'), ok('a'), run('b'), ok('b'), run('c'), failed('c')]);
    expect(nextSagaAction(saga, state, 0)).toEqual({
      kind: 'compensate',
      reason: 'step_failed',
      step: 'c',
      error: 'E: no',
    });
    const back = history([
      started,
      run('a'),
      ok('a'),
      run('b'),
      ok('b'),
      run('c'),
      failed('c'),
      { type: 'SagaCompensating', data: { reason: 'step_failed', step: 'c', error: 'E: no' } },
    ]);
    expect(nextSagaAction(saga, back, 0)).toEqual({ kind: 'undo', step: 1, attempt: 1 });
    const undoneB = evolveSaga(back, {
      id: 'x',
      type: 'SagaStepCompensated',
      data: { step: 'b', attempt: 1 },
      metadata: {},
      streamVersion: 9,
      position: 9,
      recordedAt: new Date(2_000),
    });
    expect(nextSagaAction(saga, undoneB, 0)).toEqual({ kind: 'undo', step: 0, attempt: 1 });
  });

  it('ends failed when the first step fails and nothing needs undoing', () => {
    const state = history([
      started,
      run('a'),
      failed('a'),
      { type: 'SagaCompensating', data: { reason: 'step_failed', step: 'a', error: 'E: no' } },
    ]);
    expect(nextSagaAction(saga, state, 0)).toEqual({ kind: 'finish', outcome: 'failed' });
  });

  it('keeps a step in doubt once any try may have taken effect, and undoes it', () => {
    const state = history([
      started,
      run('a'),
      failed('a', { retryInMs: 1, inDoubt: true }),
      run('a', 2),
      failed('a'), // failed before doing anything: the first try's effect is still possible
      { type: 'SagaCompensating', data: { reason: 'step_failed', step: 'a', error: 'E: no' } },
    ]);
    expect(state.steps[0]?.inDoubt).toBe(true);
    expect(nextSagaAction(saga, state, 0)).toEqual({ kind: 'undo', step: 0, attempt: 1 });
  });

  it('counts a try cut short (started twice with no outcome between) as in doubt', () => {
    const state = history([started, run('a'), run('a', 2), failed('a')]);
    expect(state.steps[0]).toMatchObject({ status: 'failed', inDoubt: true, attempts: 2 });
  });

  it('turns back on a cancel or a passed deadline, unless past the pivot', () => {
    const cancel: SagaEvent = { type: 'SagaCancelRequested', data: { reason: 'no' } };
    expect(nextSagaAction(saga, history([started, run('a'), ok('a'), cancel]), 0)).toEqual({
      kind: 'compensate',
      reason: 'cancelled',
    });
    const deadline: SagaEvent = {
      type: 'SagaDeadlineScheduled',
      data: { at: new Date(5_000).toISOString() },
    };
    expect(nextSagaAction(saga, history([started, deadline]), 4_999)).toEqual({
      kind: 'run',
      step: 0,
      attempt: 1,
    });
    expect(nextSagaAction(saga, history([started, deadline]), 5_000)).toEqual({ kind: 'deadline' });
    const past = history([started, run('a'), ok('a'), run('b'), ok('b'), cancel]);
    expect(nextSagaAction(pivoted, past, 0)).toEqual({ kind: 'run', step: 2, attempt: 1 });
  });

  it('is stuck until an operator retries, then tries the compensation again', () => {
    const stuck = history([
      started,
      run('a'),
      ok('a'),
      run('b'),
      failed('b'),
      { type: 'SagaCompensating', data: { reason: 'step_failed', step: 'b', error: 'E: no' } },
      { type: 'SagaCompensationStarted', data: { step: 'a', attempt: 1 } },
      { type: 'SagaCompensationFailed', data: { step: 'a', attempt: 1, error: 'down' } },
      { type: 'SagaStuck', data: { step: 'a', error: 'down' } },
    ]);
    expect(stuck.status).toBe('stuck');
    expect(nextSagaAction(saga, stuck, 0)).toEqual({ kind: 'none' });
    const retried = evolveSaga(stuck, {
      id: 'r',
      type: 'SagaRetryRequested',
      data: { reason: 'fixed' },
      metadata: { actor: 'ops' },
      streamVersion: 10,
      position: 10,
      recordedAt: new Date(3_000),
    });
    expect(retried.status).toBe('compensating');
    expect(nextSagaAction(saga, retried, 0)).toEqual({ kind: 'undo', step: 0, attempt: 2 });
    expect(retried.steps[0]?.compensationRoundStart).toBe(1);
  });
});
