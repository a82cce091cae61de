// Helpers of the PostgreSQL kill -9 and failover tests: child projectors, and the check that a view is exactly
// the fold of the log up to its checkpoint.
import { type ChildProcess, spawn } from 'node:child_process';
import type pg from 'pg';
import { expect } from 'vitest';

const script = new URL('./child-postgres-projector.ts', import.meta.url).pathname;

/** Starts a child projector and resolves once its runner has started. */
export function startProjector(
  schema: string,
  mode: 'write' | 'project',
  name: string,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // node itself with tsx as a loader: one process, so SIGKILL hits the process doing the work.
    const child = spawn(process.execPath, ['--import', 'tsx', script, schema, mode, name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.once('data', () => resolve(child));
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`projector ${name} exited with ${code} before it was ready`)),
    );
  });
}

/** Kills a child with SIGKILL and waits for it to be gone. */
export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Reads the checkpoint, the view and the log in one snapshot, and expects the view to be exactly the fold of the
 * deposits up to the checkpoint: nothing applied twice, nothing skipped. Returns the checkpoint.
 */
export async function expectViewMatchesLog(pool: pg.Pool, schema: string): Promise<number> {
  const s = `"${schema}"`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const { rows } = await client.query<{ position: string }>(
      `SELECT c.position FROM ${s}.projections p JOIN ${s}.projection_copies c
       ON c.name = p.name AND c.copy = p.active_copy WHERE p.name = 'balances'`,
    );
    const checkpoint = Number(rows[0]?.position ?? 0);
    const view =
      checkpoint === 0 ? [] : (await client.query(`SELECT * FROM ${s}.balances ORDER BY account_id`)).rows;
    const fold = await client.query(
      `SELECT stream_id AS account_id, sum((data->>'amount')::bigint)::bigint AS balance, count(*)::bigint AS events
       FROM ${s}.events WHERE type = 'MoneyDeposited' AND position <= $1 GROUP BY stream_id ORDER BY stream_id`,
      [checkpoint],
    );
    await client.query('COMMIT');
    expect(view).toEqual(fold.rows);
    return checkpoint;
  } finally {
    client.release();
  }
}
