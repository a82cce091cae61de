// Sagas: how many complete per second with every step in-process on SQLite, beside the naive loop that calls the
// same commands without recording anything (what durability costs), and how long 1,000 interrupted sagas take to
// finish after a restart. Run: npm run bench:sagas [-- --quick] [--runs N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSagaRunner,
  defineSaga,
  type EventStore,
  handleCommand,
  type SagaDefinition,
  type SagaRunner,
} from 'hindsight';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { account, accountStream } from '../src/domains/bank/account.js';
import { type TransferInput, transferSaga } from '../src/domains/bank/transfer.js';
import { watchMachine } from './machine.js';
import { spread } from './measure.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 1 : 3;
const transfers = quick ? 500 : 2000;
const interrupted = quick ? 200 : 1000;
const accounts = 100;
const concurrency = 64;
const machine = watchMachine();

type Durability = 'strict' | 'normal';

async function withStore<T>(
  durability: Durability,
  work: (store: EventStore, file: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-bench-sagas-'));
  const file = join(dir, 'events.sqlite');
  const store = createSqliteEventStore({ file, durability });
  try {
    return await work(store, file);
  } finally {
    await store.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openAccounts(store: EventStore): Promise<void> {
  for (let i = 0; i < accounts; i++) {
    await handleCommand(store, accountStream(`a${i}`), account, {
      type: 'OpenAccount',
      data: { owner: `o${i}`, currency: 'EUR' },
    });
    await handleCommand(store, accountStream(`a${i}`), account, {
      type: 'Deposit',
      data: { amount: 1_000_000 },
    });
  }
}

const transferInput = (i: number): TransferInput => ({
  transferId: `t${i}`,
  from: `a${i % accounts}`,
  to: `a${(i * 7 + 1) % accounts}`,
  amount: 1 + (i % 50),
});

/** Runs `count` jobs with at most `concurrency` at once. */
async function pool(count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** Transfers as durable sagas: each step's outcome recorded in the saga's stream. */
async function sagaTransfers(durability: Durability): Promise<number> {
  return withStore(durability, async (store) => {
    await openAccounts(store);
    const saga = transferSaga(store);
    const runner = createSagaRunner(store, [saga as SagaDefinition<unknown>], { concurrency });
    await runner.start();
    const started = performance.now();
    await pool(transfers, async (i) => {
      await runner.startSaga(saga, `t${i}`, transferInput(i));
      const state = await runner.waitFor('transfer', `t${i}`, { timeoutMs: 120_000 });
      if (state.status !== 'completed') throw new Error(`transfer t${i} ended ${state.status}`);
    });
    const seconds = (performance.now() - started) / 1000;
    await runner.stop();
    return transfers / seconds;
  });
}

/** The naive loop: the same two commands, nothing recorded between them (a crash loses where it was). */
async function naiveTransfers(durability: Durability): Promise<number> {
  return withStore(durability, async (store) => {
    await openAccounts(store);
    const started = performance.now();
    await pool(transfers, async (i) => {
      const { transferId, from, to, amount } = transferInput(i);
      await handleCommand(store, accountStream(from), account, {
        type: 'DebitTransfer',
        data: { transferId, to, amount },
      });
      await handleCommand(store, accountStream(to), account, {
        type: 'CreditTransfer',
        data: { transferId, from, amount },
      });
    });
    return transfers / ((performance.now() - started) / 1000);
  });
}

/** Starts sagas whose second step hangs, stops the runner, and times a new runner finishing all of them. */
async function resume(durability: Durability): Promise<{ ms: number; rssMB: number }> {
  return withStore(durability, async (store, file) => {
    let hang = true;
    const saga = defineSaga<{ n: number }>({
      name: 'work',
      steps: [
        { name: 'a', action: async () => ({ ok: true }) },
        {
          name: 'b',
          action: async ({ signal }) => {
            if (hang) await new Promise((r) => signal.addEventListener('abort', r));
            return { ok: true };
          },
        },
        { name: 'c', action: async () => ({ ok: true }) },
      ],
    });
    const first = createSagaRunner(store, [saga as SagaDefinition<unknown>], { concurrency: interrupted });
    await first.start();
    await pool(interrupted, async (i) => {
      await first.startSaga(saga, `s${i}`, { n: i });
    });
    while ((first.status()[0]?.running ?? 0) < interrupted) await new Promise((r) => setTimeout(r, 20));
    await first.stop();
    await store.close();
    hang = false;
    const reopened = createSqliteEventStore({ file, durability });
    const started = performance.now();
    const second: SagaRunner = createSagaRunner(reopened, [saga as SagaDefinition<unknown>], { concurrency });
    await second.start();
    for (let i = 0; i < interrupted; i++) {
      const state = await second.waitFor('work', `s${i}`, { timeoutMs: 300_000 });
      if (state.status !== 'completed') throw new Error(`s${i} ended ${state.status}`);
    }
    const ms = performance.now() - started;
    await second.stop();
    await reopened.close();
    return { ms, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) };
  });
}

const results: Record<string, unknown> = {};
for (const durability of ['strict', 'normal'] as const) {
  const saga: number[] = [];
  const naive: number[] = [];
  const resumeMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Alternate so a machine that gets busier part-way favours neither.
    if (run % 2 === 0) {
      saga.push(await sagaTransfers(durability));
      naive.push(await naiveTransfers(durability));
    } else {
      naive.push(await naiveTransfers(durability));
      saga.push(await sagaTransfers(durability));
    }
    resumeMs.push((await resume(durability)).ms);
    machine.sample();
  }
  const s = spread(saga);
  const n = spread(naive);
  const r = spread(resumeMs);
  results[durability] = {
    sagaTransfersPerSecond: s,
    naiveTransfersPerSecond: n,
    ratio: s.median / n.median,
    resumeMs: r,
  };
  console.log(
    `${durability}: transfer sagas ${Math.round(s.median)}/s (${Math.round(s.min)}–${Math.round(s.max)}), ` +
      `naive loop ${Math.round(n.median)}/s, ratio ${(s.median / n.median).toFixed(2)}; ` +
      `resume of ${interrupted} interrupted sagas ${Math.round(r.median)} ms (${Math.round(r.min)}–${Math.round(r.max)})`,
  );
}
console.log(
  JSON.stringify(
    {
      command: `npm run bench:sagas -- ${args.join(' ')}`.trim(),
      transfers,
      interrupted,
      runs,
      machine: machine.describe(),
      results,
    },
    null,
    2,
  ),
);
