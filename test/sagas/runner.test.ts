import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSagaRunner,
  defineSaga,
  type EventStore,
  isHindsightError,
  type Ownership,
  type SagaDefinition,
  type SagaRunner,
  type SagaStep,
  sagaHistory,
  sagaStory,
} from 'hindsight';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

interface Input {
  amount: number;
}

/** Effects as an outside service would keep them: by idempotency key, so a repeat is visible. */
class Effects {
  readonly calls: string[] = [];
  readonly done = new Map<string, number>();
  apply(key: string): number {
    this.calls.push(key);
    const existing = this.done.get(key);
    if (existing !== undefined) return existing;
    this.done.set(key, this.done.size + 1);
    return this.done.size;
  }
  has(key: string): boolean {
    return this.done.has(key);
  }
}

function step(effects: Effects, name: string, more: Partial<SagaStep<Input>> = {}): SagaStep<Input> {
  return {
    name,
    action: async (c) => ({ receipt: effects.apply(c.idempotencyKey) }),
    compensate: async (c) => {
      effects.apply(c.idempotencyKey);
    },
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
    compensationRetry: { initialDelayMs: 5, maxDelayMs: 20 },
    ...more,
  };
}

class Refused extends Error {
  override name = 'Refused';
}

describe('saga runner (SQLite)', () => {
  let dir: string;
  let store: EventStore;
  let runners: SagaRunner[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hindsight-sagas-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
    runners = [];
  });
  afterEach(async () => {
    for (const r of runners) await r.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (sagas: SagaDefinition<Input>[], on: EventStore = store): Promise<SagaRunner> => {
    const runner = createSagaRunner(on, sagas as SagaDefinition<unknown>[], {
      pollIntervalMs: 20,
      checkpointEveryMs: 0,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  };

  it('runs the steps in order, hands each the results before it, and completes', async () => {
    const effects = new Effects();
    const seen: unknown[] = [];
    const saga = defineSaga<Input>({
      name: 'three',
      describe: (i) => `move ${i.amount}`,
      steps: [
        step(effects, 'a'),
        step(effects, 'b', {
          action: async (c) => {
            seen.push(c.results);
            return { receipt: effects.apply(c.idempotencyKey) };
          },
        }),
        step(effects, 'c'),
      ],
    });
    const runner = await run([saga]);
    const started = await runner.startSaga(saga, 's1', { amount: 5 }, { actor: 'alice' });
    expect(started.created).toBe(true);
    const state = await runner.waitFor('three', 's1');
    expect(state.status).toBe('completed');
    expect(state.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 1],
    ]);
    expect(seen).toEqual([{ a: { receipt: 1 } }]);
    expect(effects.calls).toEqual(['saga:three:s1:a', 'saga:three:s1:b', 'saga:three:s1:c']);
    const story = sagaStory(await sagaHistory(store, 'three', 's1'));
    expect(story[0]).toMatch(/alice: started three s1: move 5 \(steps: a, b, c\)$/);
    expect(story.at(-1)).toMatch(/alice: completed: every step succeeded$/);
    // Starting it again is a no-op that says so; other input under the same id is refused.
    expect((await runner.startSaga(saga, 's1', { amount: 5 })).created).toBe(false);
    await expect(runner.startSaga(saga, 's1', { amount: 6 })).rejects.toMatchObject({ code: 'SagaExists' });
  });

  it('compensates the steps that succeeded, last first, when a step fails for good', async () => {
    const effects = new Effects();
    const saga = defineSaga<Input>({
      name: 'failing',
      steps: [
        step(effects, 'a'),
        step(effects, 'b'),
        step(effects, 'c', {
          action: async () => {
            throw new Refused('no stock');
          },
          retryable: (e) => !(e instanceof Refused),
        }),
      ],
    });
    const runner = await run([saga]);
    await runner.startSaga(saga, 's1', { amount: 1 });
    const state = await runner.waitFor('failing', 's1');
    expect(state.status).toBe('compensated');
    expect(state.compensation).toEqual({ reason: 'step_failed', step: 'c', error: 'Refused: no stock' });
    expect(effects.calls).toEqual([
      'saga:failing:s1:a',
      'saga:failing:s1:b',
      'saga:failing:s1:b:compensation',
      'saga:failing:s1:a:compensation',
    ]);
    const story = sagaStory(await sagaHistory(store, 'failing', 's1')).join('\n');
    expect(story).toContain('step c: try 1 failed: Refused: no stock; no tries left');
    expect(story).toContain('turning back because step c failed (Refused: no stock)');
    expect(story).toMatch(/undoing step b[^\n]*\n[^\n]*undoing step b[^\n]*succeeded\n[^\n]*undoing step a/);
  });

  it('ends failed, undoing nothing, when the first step fails', async () => {
    const effects = new Effects();
    const saga = defineSaga<Input>({
      name: 'first',
      steps: [
        step(effects, 'a', {
          action: async () => {
            throw new Refused('insufficient funds');
          },
          retryable: () => false,
        }),
        step(effects, 'b'),
      ],
    });
    const runner = await run([saga]);
    await runner.startSaga(saga, 's1', { amount: 1 });
    const state = await runner.waitFor('first', 's1');
    expect(state.status).toBe('failed');
    expect(state.failure).toEqual({ step: 'a', error: 'Refused: insufficient funds' });
    expect(effects.calls).toEqual([]);
  });

  it('retries a failing step with backoff and records every try', async () => {
    const effects = new Effects();
    let tries = 0;
    const saga = defineSaga<Input>({
      name: 'flaky',
      steps: [
        step(effects, 'a', {
          retry: { maxAttempts: 4, initialDelayMs: 5 },
          action: async (c) => {
            tries++;
            if (tries < 3) throw new Error(`flake ${tries}`);
            return { receipt: effects.apply(c.idempotencyKey), attempt: c.attempt };
          },
        }),
      ],
    });
    const runner = await run([saga]);
    await runner.startSaga(saga, 's1', { amount: 1 });
    const state = await runner.waitFor('flaky', 's1');
    expect(state.status).toBe('completed');
    expect(state.steps[0]).toMatchObject({ attempts: 3, result: { receipt: 1, attempt: 3 } });
    const types = (await sagaHistory(store, 'flaky', 's1')).map((e) => e.type);
    expect(types.filter((t) => t === 'SagaStepFailed')).toHaveLength(2);
  });

  it('is stuck, visibly, when a compensation keeps failing, and finishes when an operator retries', async () => {
    const effects = new Effects();
    let broken = true;
    const saga = defineSaga<Input>({
      name: 'stuck',
      steps: [
        step(effects, 'a', {
          compensationRetry: { maxAttempts: 2, initialDelayMs: 5 },
          compensate: async (c) => {
            if (broken) throw new Error('refund service down');
            effects.apply(c.idempotencyKey);
          },
        }),
        step(effects, 'b', {
          action: async () => {
            throw new Refused('no');
          },
          retryable: () => false,
        }),
      ],
    });
    const runner = await run([saga]);
    await runner.startSaga(saga, 's1', { amount: 1 });
    const stuck = await runner.waitFor('stuck', 's1');
    expect(stuck.status).toBe('stuck');
    expect(stuck.stuck).toEqual({ step: 'a', error: 'Error: refund service down' });
    expect(runner.status()[0]?.stuck).toEqual(['s1']);
    await expect(runner.retry('stuck', 's1', { actor: 'ops', reason: 'too soon' })).resolves.toBeDefined();
    // The retry found it still broken: stuck again after two more tries.
    const again = await runner.waitFor('stuck', 's1');
    expect(again.status).toBe('stuck');
    expect(again.steps[0]?.compensationAttempts).toBe(4);
    broken = false;
    await runner.retry('stuck', 's1', { actor: 'ops', reason: 'refund service is back' });
    const done = await runner.waitFor('stuck', 's1');
    expect(done.status).toBe('compensated');
    expect(effects.calls).toEqual(['saga:stuck:s1:a', 'saga:stuck:s1:a:compensation']);
    const story = sagaStory(await sagaHistory(store, 'stuck', 's1')).join('\n');
    expect(story).toContain('STUCK at step a (Error: refund service down)');
    expect(story).toContain('ops: asked to retry: refund service is back');
    await expect(runner.retry('stuck', 's1', { actor: 'ops', reason: 'x' })).rejects.toMatchObject({
      code: 'SagaRequestRefused',
    });
  });

  it('abandons a try at its timeout, and undoes that step too since it may have taken effect', async () => {
    const effects = new Effects();
    const saga = defineSaga<Input>({
      name: 'slow',
      steps: [
        step(effects, 'a'),
        step(effects, 'b', {
          timeoutMs: 30,
          retry: { maxAttempts: 2, initialDelayMs: 5 },
          action: async (c) => {
            effects.apply(c.idempotencyKey); // the effect happens, but the answer is late
            await new Promise((r) => setTimeout(r, 200));
            return {};
          },
        }),
      ],
    });
    const runner = await run([saga]);
    await runner.startSaga(saga, 's1', { amount: 1 });
    const state = await runner.waitFor('slow', 's1');
    expect(state.status).toBe('compensated');
    expect(state.steps[1]).toMatchObject({ status: 'compensated', attempts: 2 });
    expect(effects.has('saga:slow:s1:b:compensation')).toBe(true);
    expect(effects.has('saga:slow:s1:a:compensation')).toBe(true);
    const story = sagaStory(await sagaHistory(store, 'slow', 's1')).join('\n');
    expect(story).toContain('(it may still have taken effect): StepTimedOut: timed out after 30 ms');
  });

  it('compensates when cancelled between steps, and ignores a cancel past the pivot', async () => {
    const effects = new Effects();
    let release: () => void = () => {};
    const gate = () =>
      new Promise<void>((r) => {
        release = r;
      });
    const make = (name: string, pivot: boolean) =>
      defineSaga<Input>({
        name,
        steps: [
          step(effects, 'a', { pivot }),
          step(effects, 'b', {
            action: async (c) => {
              await gate();
              return { receipt: effects.apply(c.idempotencyKey) };
            },
          }),
          step(effects, 'c'),
        ],
      });
    const cancellable = make('cancellable', false);
    const pivoted = make('pivoted', true);
    const runner = await run([cancellable, pivoted]);

    await runner.startSaga(cancellable, 's1', { amount: 1 });
    await waitUntil(async () => (await runner.get('cancellable', 's1')).steps[1]?.status === 'running');
    await runner.cancel('cancellable', 's1', { actor: 'bob', reason: 'changed my mind' });
    release();
    const cancelled = await runner.waitFor('cancellable', 's1');
    expect(cancelled.status).toBe('compensated');
    expect(cancelled.compensation?.reason).toBe('cancelled');
    expect(cancelled.steps.map((s) => s.status)).toEqual(['compensated', 'compensated', 'pending']);

    await runner.startSaga(pivoted, 's2', { amount: 1 });
    await waitUntil(async () => (await runner.get('pivoted', 's2')).steps[1]?.status === 'running');
    await runner.cancel('pivoted', 's2', { actor: 'bob', reason: 'too late' });
    release();
    const finished = await runner.waitFor('pivoted', 's2');
    expect(finished.status).toBe('completed');
    await expect(runner.cancel('pivoted', 's2', { actor: 'bob', reason: 'x' })).rejects.toMatchObject({
      code: 'SagaRequestRefused',
    });
    await expect(runner.cancel('pivoted', 'nope', { actor: 'bob', reason: 'x' })).rejects.toMatchObject({
      code: 'SagaNotFound',
    });
  });

  it('keeps its deadline across a restart: a saga past it when the runner comes back is compensated', async () => {
    const effects = new Effects();
    let hang = true;
    const saga = defineSaga<Input>({
      name: 'deadline',
      deadlineMs: 300,
      steps: [
        step(effects, 'a'),
        step(effects, 'b', {
          action: async (c) => {
            if (hang) await new Promise((r) => c.signal.addEventListener('abort', r));
            return { receipt: effects.apply(c.idempotencyKey) };
          },
        }),
      ],
    });
    const first = await run([saga]);
    await first.startSaga(saga, 's1', { amount: 1 });
    await waitUntil(async () => (await first.get('deadline', 's1')).steps[1]?.status === 'running');
    await first.stop();
    hang = false;
    await new Promise((r) => setTimeout(r, 350));
    const second = await run([saga]);
    const state = await second.waitFor('deadline', 's1');
    expect(state.status).toBe('compensated');
    expect(state.compensation?.reason).toBe('deadline');
    // b was cut short by the stop, so it may have had its effect: it is undone too, then a.
    expect(state.steps.map((s) => s.status)).toEqual(['compensated', 'compensated']);
    expect(effects.calls.slice(-2)).toEqual([
      'saga:deadline:s1:b:compensation',
      'saga:deadline:s1:a:compensation',
    ]);
    const types = (await sagaHistory(store, 'deadline', 's1')).map((e) => e.type);
    expect(types).toContain('SagaDeadlineScheduled');
    expect(types).toContain('SagaDeadlineReached');
  });

  it('resumes after a restart where it stopped, running the interrupted step again under the same key', async () => {
    const effects = new Effects();
    let stopHere = true;
    const saga = defineSaga<Input>({
      name: 'resume',
      steps: [
        step(effects, 'a'),
        step(effects, 'b', {
          action: async (c) => {
            const receipt = effects.apply(c.idempotencyKey);
            if (stopHere) await new Promise((r) => c.signal.addEventListener('abort', r));
            return { receipt };
          },
        }),
        step(effects, 'c'),
      ],
    });
    const first = await run([saga]);
    for (let i = 0; i < 20; i++) await first.startSaga(saga, `s${i}`, { amount: i });
    await waitUntil(async () => (await first.get('resume', 's19')).steps[1]?.status === 'running');
    await first.stop();
    stopHere = false;
    const reopened = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
    try {
      const second = await run([saga], reopened);
      for (let i = 0; i < 20; i++) {
        const state = await second.waitFor('resume', `s${i}`);
        expect(state.status).toBe('completed');
        expect(state.steps[1]?.attempts).toBe(2);
        expect(state.steps[1]?.result).toEqual({ receipt: effects.done.get(`saga:resume:s${i}:b`) });
      }
      await second.stop();
    } finally {
      await reopened.close();
    }
    // Step b ran twice for each saga but had its effect once; a and c once each.
    expect(effects.done.size).toBe(60);
  });

  it('starts a saga for each triggering event, once, even when the log is read again after a restart', async () => {
    const effects = new Effects();
    const saga = defineSaga<Input>({
      name: 'triggered',
      triggers: [
        {
          types: ['OrderPlaced'],
          streamPrefix: 'order-',
          start: (e) => ({ sagaId: e.streamId, input: { amount: (e.data as { amount: number }).amount } }),
        },
      ],
      steps: [step(effects, 'a')],
    });
    await store.appendToStream('order-1', [
      { type: 'OrderPlaced', data: { amount: 3 }, metadata: { actor: 'carol' } },
    ]);
    await store.appendToStream('other-1', [{ type: 'OrderPlaced', data: { amount: 9 } }]);
    const first = await run([saga]);
    const state = await first.waitFor('triggered', 'order-1');
    expect(state.status).toBe('completed');
    expect(state.input).toEqual({ amount: 3 });
    expect(state.origin.actor).toBe('carol');
    await first.stop();
    await store.appendToStream('order-2', [{ type: 'OrderPlaced', data: { amount: 4 } }]);
    const second = await run([saga]);
    expect((await second.waitFor('triggered', 'order-2')).status).toBe('completed');
    expect((await second.get('triggered', 'other-1')).status).toBe('none');
    const started = [];
    for await (const e of store.readAll({ types: ['SagaStarted'] })) started.push(e.streamId);
    expect(started).toEqual(['saga:triggered:order-1', 'saga:triggered:order-2']);
    expect(effects.calls).toEqual(['saga:triggered:order-1:a', 'saga:triggered:order-2:a']);
  });

  it('records how far back to look after a restart, and writes nothing more while idle', async () => {
    const effects = new Effects();
    const saga = defineSaga<Input>({ name: 'idle', steps: [step(effects, 'a')] });
    const runner = await run([saga]);
    for (let i = 0; i < 5; i++) await runner.startSaga(saga, `s${i}`, { amount: i });
    for (let i = 0; i < 5; i++) await runner.waitFor('idle', `s${i}`);
    const checkpoints = async () => {
      const positions: number[] = [];
      for await (const e of store.readStream('saga-checkpoint:idle'))
        positions.push((e.data as { position: number }).position);
      return positions;
    };
    // Once every saga has ended, the runner records a checkpoint past the last of them...
    let lastEnd = 0;
    for await (const e of store.readAll({ types: ['SagaCompleted'] })) lastEnd = e.position;
    await waitUntil(async () => ((await checkpoints()).at(-1) ?? 0) >= lastEnd, 10_000);
    // ...and then, with nothing new, it writes no more.
    const before = await checkpoints();
    await new Promise((r) => setTimeout(r, 300));
    expect(await checkpoints()).toEqual(before);
  });

  it('hands its sagas to another process while it cannot run them: an owner whose store closed lets go', async () => {
    const effects = new Effects();
    const saga = defineSaga<Input>({ name: 'handover', steps: [step(effects, 'a'), step(effects, 'b')] });
    const locks = sharedLocks();
    const other = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
    const runnerOn = async (on: EventStore) => {
      const runner = createSagaRunner(on, [saga as SagaDefinition<unknown>], {
        ownership: locks(),
        pollIntervalMs: 20,
        checkpointEveryMs: 0,
      });
      runners.push(runner);
      await runner.start();
      return runner;
    };
    try {
      const owner = await runnerOn(store);
      await owner.startSaga(saga, 's0', { amount: 0 });
      expect((await owner.waitFor('handover', 's0')).status).toBe('completed');
      const standby = await runnerOn(other);
      expect(standby.status()[0]?.state).toBe('standby');
      // The owner's runner outlives its store: it can run nothing, and must not keep the lease from the other.
      await store.close();
      for (let i = 1; i <= 5; i++) await standby.startSaga(saga, `s${i}`, { amount: i });
      for (let i = 1; i <= 5; i++) {
        const state = await standby.waitFor('handover', `s${i}`, { timeoutMs: 3000 });
        expect(state.status).toBe('completed');
      }
      expect(standby.status()[0]?.state).toBe('running');
    } finally {
      for (const r of runners) await r.stop();
      await other.close();
    }
  });

  it('refuses a saga definition with a bad or repeated step name', () => {
    expect(() => defineSaga({ name: 'x y', steps: [] })).toThrow(/must match/);
    expect(() =>
      defineSaga({
        name: 'x',
        steps: [
          { name: 'a', action: async () => {} },
          { name: 'a', action: async () => {} },
        ],
      }),
    ).toThrow(/two steps named a/);
    expect(isHindsightError(new Error('x'), 'SagaExists')).toBe(false);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Leases on locks shared by the runners of one test, as PostgreSQL's advisory locks are by processes. */
function sharedLocks(): () => Ownership {
  const held = new Set<string>();
  return () => ({
    async acquire(name, signal) {
      while (held.has(name)) {
        if (signal.aborted) throw signal.reason;
        await new Promise((r) => setTimeout(r, 10));
      }
      held.add(name);
      return { lost: new AbortController().signal, release: async () => void held.delete(name) };
    },
  });
}
