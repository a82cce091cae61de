import { type CommandResult, handleCommand } from '../../src/commands/handle-command.js';
import { type AccountEvent, type AccountState, account } from '../../src/domains/bank/account.js';
import type { SnapshotPolicy } from '../../src/snapshots/policy.js';
import type { EventStore } from '../../src/store/event-store.js';
import { snapshotStoreOf } from './load-state.js';
import { type Figure, latencyFigures, type MeasuredScenario, openStore } from './measured.js';
import { count, sized } from './types.js';

interface Tally {
  commands: number;
  attempts: number;
  failed: number;
  durations: number[];
}

/**
 * `callers` loops, each sending a deposit through `handleCommand` and awaiting it before the next, for a fixed
 * time. `pick` chooses the account of each command.
 */
async function drive(
  store: EventStore,
  policy: SnapshotPolicy<AccountState>,
  callers: number,
  seconds: number,
  pick: (caller: number, n: number) => string,
): Promise<Tally & { seconds: number }> {
  const tally: Tally = { commands: 0, attempts: 0, failed: 0, durations: [] };
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const caller = async (c: number): Promise<void> => {
    for (let n = 0; performance.now() < deadline; n++) {
      const began = performance.now();
      try {
        const result: CommandResult<AccountEvent, AccountState> = await handleCommand(
          store,
          pick(c, n),
          account,
          { type: 'Deposit', data: { amount: 100 } },
          { snapshots: policy, metadata: { actor: 'bench' }, maxAttempts },
        );
        tally.commands++;
        tally.attempts += result.attempts;
        tally.durations.push(performance.now() - began);
      } catch {
        // TooManyConflicts: the command gave up after its attempts (counted, not retried here).
        tally.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)));
  return { ...tally, seconds: (performance.now() - start) / 1000 };
}

const maxAttempts = 20;

/** Extra attempts per command sent, counting the `maxAttempts` of each command that gave up. */
function retryRate(t: Tally): number {
  const sent = t.commands + t.failed;
  return Math.round(((t.attempts + t.failed * maxAttempts - sent) / Math.max(1, sent)) * 1000) / 1000;
}

/**
 * Commands through `handleCommand` (load with a snapshot every 100 events, decide, append with the expected
 * version, retry on conflict): one hot account with 16 callers, then 1,000 accounts with 64 callers.
 */
export const commandThroughput: MeasuredScenario = {
  name: 'command-throughput',
  title: 'Commands per second through handleCommand',
  description:
    'Deposits to bank accounts through handleCommand with the default snapshot policy (every 100 events): 16 callers on one hot account, then 64 callers over 1,000 accounts, each caller awaiting one command before sending the next, for a fixed time.',
  durability: 'strict',
  size: (at) => ({
    hotCallers: 16,
    spreadCallers: 64,
    accounts: 1000,
    seconds: sized(at, { strict: [10, 2], normal: [10, 2], postgres: [10, 2] }),
  }),
  bounds: () => [],
  async measure(context, size) {
    const opened = await openStore(context.target('commands'), context.durability);
    const { store } = opened;
    try {
      const policy: SnapshotPolicy<AccountState> = {
        store: snapshotStoreOf(opened),
        name: 'account',
        shapeVersion: 1,
      };
      const accounts = count(size, 'accounts');
      const opening = Array.from({ length: accounts }, (_, i) => ({
        streamId: `account-${i}`,
        events: [{ type: 'AccountOpened', data: { owner: `owner-${i}`, currency: 'EUR' } }],
      }));
      for (let i = 0; i < accounts; i += 250) await store.appendToStreams(opening.slice(i, i + 250));
      await store.appendToStream('account-hot', [
        { type: 'AccountOpened', data: { owner: 'hot', currency: 'EUR' } },
      ]);

      const seconds = count(size, 'seconds');
      const figures: Figure[] = [];
      const hot = await drive(store, policy, count(size, 'hotCallers'), seconds, () => 'account-hot');
      context.log(`hot: ${hot.commands} commands, ${hot.attempts} attempts, ${hot.failed} gave up`);
      figures.push(
        { name: 'hot stream goodput', value: Math.round(hot.commands / hot.seconds), unit: 'commands/s' },
        { name: 'hot stream retry rate', value: retryRate(hot), unit: 'extra attempts/command' },
        { name: 'hot stream gave up', value: hot.failed, unit: 'commands' },
        ...latencyFigures('hot stream command', hot.durations),
      );
      const spread = await drive(
        store,
        policy,
        count(size, 'spreadCallers'),
        seconds,
        (c, n) => `account-${(c * 7919 + n * 104_729) % accounts}`,
      );
      context.log(
        `spread: ${spread.commands} commands, ${spread.attempts} attempts, ${spread.failed} gave up`,
      );
      figures.push(
        {
          name: '1,000 streams goodput',
          value: Math.round(spread.commands / spread.seconds),
          unit: 'commands/s',
        },
        { name: '1,000 streams retry rate', value: retryRate(spread), unit: 'extra attempts/command' },
        { name: '1,000 streams gave up', value: spread.failed, unit: 'commands' },
        ...latencyFigures('1,000 streams command', spread.durations),
      );
      return {
        figures,
        notes: [
          `${seconds} s per part; goodput counts commands that succeeded; the retry rate is extra attempts per command sent, from CommandResult.attempts (a command that gave up counts its 20 attempts); "gave up" counts TooManyConflicts after the default 20 attempts.`,
        ],
      };
    } finally {
      await store.close();
    }
  },
};
