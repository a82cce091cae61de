import { depositEvent } from '../workload.js';
import { count, type Scenario, sized } from './types.js';

/**
 * 16 writers on one stream, each looping: a deposit command (load, decide, append expecting the loaded version,
 * retry on conflict as the system recommends), awaited before the next, for a fixed time.
 */
export const hotStream: Scenario = {
  name: 'hot-stream',
  title: 'Hot stream: 16 writers sending commands to one stream',
  description:
    'Hindsight handleCommand (snapshot every 100 events, 20 attempts), Emmett CommandHandler (19 retries on version conflict, its backoff), raw: read and insert in one transaction (SQLite: synchronous, so never a conflict; PostgreSQL: unique violation retried).',
  unit: 'commands/s',
  durabilities: ['strict'],
  goal: (backend) => ({ ratioAtLeast: 0.8, peerRatioAtLeast: backend === 'sqlite' ? 3 : 1.5 }),
  size: (at) => ({ writers: 16, seconds: sized(at, { strict: [10, 2], normal: [0, 0], postgres: [10, 2] }) }),
  async measure(run, size) {
    const log = await run.system.open(run.target, run.durability);
    try {
      const { command } = log;
      if (!command) throw new Error(`${run.system.label} has no command`);
      let commands = 0;
      let attempts = 0;
      let gaveUp = 0;
      const errors = new Set<string>();
      const cpu = process.cpuUsage();
      const start = performance.now();
      const deadline = start + count(size, 'seconds') * 1000;
      const writer = async (w: number): Promise<void> => {
        for (let n = 0; performance.now() < deadline; n++) {
          try {
            // Awaited first: `attempts += await …` would read `attempts` before the await and lose updates.
            const result = await command('account-hot', depositEvent(w * 1_000_000 + n));
            attempts += result.attempts;
            commands++;
          } catch (error) {
            gaveUp++;
            errors.add(String(error).slice(0, 200));
          }
        }
      };
      await Promise.all(Array.from({ length: count(size, 'writers') }, (_, w) => writer(w)));
      const seconds = (performance.now() - start) / 1000;
      if (commands === 0) throw new Error(`no command succeeded: ${[...errors].join('; ')}`);
      if (errors.size) process.stderr.write(`    ${run.system.label} errors: ${[...errors].join('; ')}\n`);
      const used = process.cpuUsage(cpu);
      return {
        events: commands,
        seconds,
        eventsPerSecond: commands / seconds,
        cpuMicrosPerEvent: (used.user + used.system) / commands,
        extra: {
          'extra attempts per command': Math.round(((attempts - commands) / commands) * 1000) / 1000,
          'commands that failed': gaveUp,
        },
      };
    } finally {
      await log.close();
    }
  },
};
