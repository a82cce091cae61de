import { createPostgresProjectionRunner } from '../../src/postgres/index.js';
import type { ProjectionRunner } from '../../src/projections/runner.js';
import { createSqliteProjectionRunner } from '../../src/sqlite/index.js';
import { balancesProjection, balancesTotal, seedDeposits } from './balances.js';
import { type Figure, type MeasuredScenario, type OpenedStore, openStore } from './measured.js';
import { count } from './types.js';

export function runnerFor(
  opened: OpenedStore,
  version = 1,
  options = {},
  balances = balancesProjection(opened.backend, version),
): ProjectionRunner {
  return opened.backend === 'sqlite'
    ? createSqliteProjectionRunner(opened.store, [balances], options)
    : createPostgresProjectionRunner(opened.store, [balances], options);
}

const rate = (events: number, ms: number) => Math.round(events / (ms / 1000));

/**
 * The balances view built from a log of deposits: first by starting the runner on an empty view (it follows the
 * log in live batches of 500 events), then by `runner.rebuild` (a fresh copy built in batches of 5,000 beside
 * the live one, then swapped in), timed from the call until it returns with the fresh copy active.
 */
export const projectionRebuild: MeasuredScenario = {
  name: 'projection-rebuild',
  title: 'Rebuild of a balances view (10,000 accounts) from 1,000,000 deposits',
  description:
    'A balances projection (SQLite: one prepared upsert per event in the batch transaction; PostgreSQL: one upsert per batch of sums) built from a log of deposits spread over 10,000 accounts.',
  durability: 'strict',
  size: (at) => ({
    events: at.quick ? 100_000 : 1_000_000,
    accounts: 10_000,
    rebuilds: at.quick ? 2 : 3,
  }),
  bounds: (backend) => [{ figure: 'rebuild median', atLeast: backend === 'sqlite' ? 150_000 : 80_000 }],
  async measure(context, size) {
    const target = context.target('rebuild');
    const events = count(size, 'events');
    // Seeded at durability 'normal' (SQLite) to save fsyncs: the measured store reopens the same file.
    const seeding = await openStore(target, 'normal');
    const seedStart = performance.now();
    const total = await seedDeposits(seeding, events, count(size, 'accounts'), (n) => {
      if (n % 200_000 === 0) context.log(`seeded ${n}`);
    });
    const seedMs = performance.now() - seedStart;
    context.log(`seeded ${events} events in ${Math.round(seedMs)} ms`);
    if (seeding.backend === 'sqlite') await seeding.store.close();
    const opened = seeding.backend === 'sqlite' ? await openStore(target, context.durability) : seeding;
    const runner = runnerFor(opened);
    try {
      const head = await opened.store.headPosition();
      const check = async (what: string) => {
        const view = await balancesTotal(opened);
        if (view.rows !== count(size, 'accounts') || view.total !== total) {
          throw new Error(`${what}: view has ${view.rows} rows and ${view.total}, wanted ${total}`);
        }
      };
      let start = performance.now();
      await runner.start();
      await runner.waitFor('balances', head, { timeoutMs: 600_000 });
      const firstMs = performance.now() - start;
      await check('first build');
      context.log(`first build ${Math.round(firstMs)} ms`);
      const rebuilds: number[] = [];
      for (let i = 0; i < count(size, 'rebuilds'); i++) {
        start = performance.now();
        await runner.rebuild('balances');
        const ms = performance.now() - start;
        await check(`rebuild ${i + 1}`);
        rebuilds.push(rate(events, ms));
        context.log(`rebuild ${i + 1}: ${Math.round(ms)} ms, ${rate(events, ms)} events/s`);
      }
      const sorted = [...rebuilds].sort((a, b) => a - b);
      const figures: Figure[] = [
        { name: 'rebuild median', value: sorted[Math.floor(sorted.length / 2)] ?? 0, unit: 'events/s' },
        { name: 'rebuild min', value: sorted[0] ?? 0, unit: 'events/s' },
        { name: 'rebuild max', value: sorted[sorted.length - 1] ?? 0, unit: 'events/s' },
        { name: 'first build (start → head)', value: rate(events, firstMs), unit: 'events/s' },
        { name: 'seeding', value: rate(events, seedMs), unit: 'events/s' },
      ];
      return {
        figures,
        notes: [
          `rebuild: runner.rebuild('balances') timed from the call to its return (fresh copy built from position 1 in batches of 5,000, checked, swapped in); ${rebuilds.length} rebuilds, each checked (10,000 rows, total of the deposits).`,
          'first build: runner.start() on an empty view until waitFor(head) returns (live batches of 500).',
          `seeding: appendToStreams of 1,000 events (10 to each of 100 accounts), 4 in flight${opened.backend === 'sqlite' ? ", durability 'normal'" : ''}.`,
        ],
      };
    } finally {
      await runner.stop();
      await opened.store.close();
    }
  },
};
