import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'hindsight-kill-projection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = new URL('./child-projector.ts', import.meta.url).pathname;

function runAndKill(file: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // node itself with tsx as a loader: one process, so SIGKILL hits the process doing the work.
    const proc = spawn(process.execPath, ['--import', 'tsx', child, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    proc.stdout.once('data', () => setTimeout(() => proc.kill('SIGKILL'), afterMs));
    proc.once('error', reject);
    proc.once('exit', () => resolve());
  });
}

/** The view must be exactly the fold of the events up to its checkpoint: nothing twice, nothing skipped. */
function checkViewAgainstLog(file: string): { checkpoint: number; head: number } {
  const db = new Database(file, { readonly: true });
  try {
    const checkpoint = db
      .prepare(
        `SELECT c.position FROM projections p JOIN projection_copies c
         ON c.name = p.name AND c.copy = p.active_copy WHERE p.name = 'balances'`,
      )
      .pluck()
      .get() as number;
    const expected = db
      .prepare(
        `SELECT stream_id AS account_id, sum(json_extract(data, '$.amount')) AS balance, count(*) AS events
         FROM events WHERE type = 'MoneyDeposited' AND position <= ? GROUP BY stream_id ORDER BY stream_id`,
      )
      .all(checkpoint);
    const view = db.prepare('SELECT * FROM balances ORDER BY account_id').all();
    expect(view).toEqual(expected);
    const head = db.prepare('SELECT max(position) FROM events').pluck().get() as number;
    return { checkpoint, head };
  } finally {
    db.close();
  }
}

describe('SQLite projection under kill -9', () => {
  it('never applies an event twice or skips one, killed at random points many times', async () => {
    const file = join(dir, 'events.sqlite');
    let progressed = 0;
    for (let run = 0; run < 8; run++) {
      await runAndKill(file, 150 + Math.floor(Math.random() * 350));
      const { checkpoint, head } = checkViewAgainstLog(file);
      expect(checkpoint).toBeLessThanOrEqual(head);
      if (checkpoint > progressed) progressed = checkpoint;
    }
    expect(progressed).toBeGreaterThan(0);
  }, 120_000);
});
