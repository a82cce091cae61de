import { depositAmount } from './balances.js';
import { latencyFigures, type MeasuredScenario, openStore } from './measured.js';
import { runnerFor } from './projection-rebuild.js';
import { count } from './types.js';

/**
 * Live end-to-end lag: single-event appends at a steady rate while the balances projection runs live; for each
 * event, the time from its append call to the moment the runner reports the view has applied its position.
 */
export const projectionLag: MeasuredScenario = {
  name: 'projection-lag',
  title: 'Live end-to-end lag, append to balances view updated',
  description:
    'Concurrent single-event deposits at a steady rate (paced in 10 ms ticks) over 10,000 accounts while the balances projection runs live in the same process; per event, append call → runner.waitFor(position) resolved.',
  durability: 'strict',
  // The rate on both stores. (Before group commit, PostgreSQL committed only 900 to 1,700 single-event
  // appends/s here, so it was offered 300/s: docs/postgres.md.)
  size: (at) => ({
    ratePerSecond: 5000,
    seconds: at.quick ? 2 : 10,
    // Steady state is the question: the first second at the rate (a fresh pool opening its connections and
    // planning its statements, the JIT warming) is run and not counted. Figures are of the seconds after it.
    warmupSeconds: 1,
    tickMs: 10,
    accounts: 10_000,
  }),
  bounds: () => [{ figure: 'lag p99', atMost: 50 }],
  async measure(context, size) {
    const opened = await openStore(context.target('lag'), context.durability);
    const { store } = opened;
    const runner = runnerFor(opened);
    try {
      await runner.start();
      await runner.waitFor('balances', 0);
      const rate = count(size, 'ratePerSecond');
      const seconds = count(size, 'seconds');
      const tickMs = count(size, 'tickMs');
      const accounts = count(size, 'accounts');
      const warmup = rate * count(size, 'warmupSeconds');
      const total = warmup + rate * seconds;
      const lags: number[] = [];
      const appendLatencies: number[] = [];
      let failed = 0;
      let applied = 0;
      const inFlight = new Set<Promise<void>>();
      const one = async (n: number): Promise<void> => {
        const start = performance.now();
        try {
          const appended = await store.appendToStream(`account-${n % accounts}`, [
            { type: 'MoneyDeposited', data: { amount: depositAmount(n) } },
          ]);
          const appendMs = performance.now() - start;
          await runner.waitFor('balances', appended.position, { timeoutMs: 60_000 });
          applied++;
          if (n < warmup) return;
          appendLatencies.push(appendMs);
          lags.push(performance.now() - start);
        } catch {
          failed++;
        }
      };
      const began = performance.now();
      let issued = 0;
      let lateTicks = 0;
      while (issued < total) {
        const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rate) + 1);
        // When the loop itself falls behind, the missed ticks' events go out together (and are counted late).
        if (due - issued > (rate * tickMs) / 1000 + 1) lateTicks++;
        for (; issued < due; issued++) {
          const p = one(issued);
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
        const next = began + ((issued + (rate * tickMs) / 1000) / rate) * 1000 - 1;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      }
      const issuing = (performance.now() - began) / 1000;
      await Promise.all(inFlight);
      const done = (performance.now() - began) / 1000;
      context.log(`issued ${total} in ${issuing.toFixed(2)} s, all applied after ${done.toFixed(2)} s`);
      return {
        figures: [
          ...latencyFigures('lag', lags),
          ...latencyFigures('append', appendLatencies),
          { name: 'offered rate', value: Math.round(total / issuing), unit: 'appends/s' },
          { name: 'applied rate', value: Math.round(applied / done), unit: 'events/s' },
          { name: 'late ticks', value: lateTicks, unit: 'ticks' },
          { name: 'failed', value: failed, unit: 'events' },
        ],
        notes: [
          `${total} single-event appends (${(rate * tickMs) / 1000} per ${tickMs} ms tick, each its own concurrent appendToStream call), the first ${warmup} (the first second) run and not counted; lag = append call → runner.waitFor(position) resolves, in the same process; append = append call → resolved.`,
        ],
      };
    } finally {
      await runner.stop();
      await store.close();
    }
  },
};
