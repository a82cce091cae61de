import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { auditOrders } from '../../src/domains/orders/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hindsight-kill-sagas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = new URL('./child-shop.ts', import.meta.url).pathname;

/** Runs the shop process; kills it with SIGKILL `killAfterMs` after it started, or lets it finish. */
function runShop(file: string, run: number, killAfterMs?: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // node itself with tsx as a loader: one process, so SIGKILL hits the process running the sagas.
    const args = [
      '--import',
      'tsx',
      child,
      file,
      String(run),
      ...(killAfterMs === undefined ? ['--finish'] : []),
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    if (killAfterMs !== undefined)
      proc.stdout.once('data', () => setTimeout(() => proc.kill('SIGKILL'), killAfterMs));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve(code));
  });
}

describe('sagas under kill -9 (SQLite)', () => {
  it('every saga ends completed or compensated, no effect happens twice, no stock or money is made or lost', async () => {
    const file = join(dir, 'events.sqlite');
    for (let run = 0; run < 10; run++) await runShop(file, run, 100 + Math.floor(Math.random() * 500));
    expect(await runShop(file, 10)).toBe(0);
    const store = createSqliteEventStore({ file });
    try {
      const audit = await auditOrders(store);
      expect(audit.violations).toEqual([]);
      expect(audit.orders).toBeGreaterThan(20);
      // The faults are frequent enough that both ends happen.
      expect(audit.outcomes.completed ?? 0).toBeGreaterThan(0);
      expect(audit.outcomes.compensated ?? 0).toBeGreaterThan(0);
      let interrupted = 0;
      for await (const e of store.readAll({ types: ['SagaStepStarted'] })) {
        if ((e.data as { attempt: number }).attempt > 1) interrupted++;
      }
      expect(interrupted).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  }, 180_000);
});
