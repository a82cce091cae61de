// Where the PostgreSQL tests connect, and what they do when they cannot: skip with a visible message, or under
// CI=true fail, so a broken service never passes a build by skipping.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';

export const databaseUrl =
  process.env.HINDSIGHT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await probe();
if (unreachable !== undefined) {
  const message = `PostgreSQL is not reachable at ${databaseUrl} (${unreachable})`;
  if (process.env.CI === 'true') throw new Error(`${message}; under CI=true the PostgreSQL tests must run`);
  console.warn(
    `\n  SKIPPING the PostgreSQL tests: ${message}. Set HINDSIGHT_TEST_DATABASE_URL to run them.\n`,
  );
}

/** True when the PostgreSQL tests can run. */
export const postgresAvailable = unreachable === undefined;

/** `describe` when PostgreSQL is reachable, `describe.skip` otherwise. */
export const describePostgres = postgresAvailable ? describe : describe.skip;

/** A schema name no other test (in this process or another) uses. */
export function uniqueSchema(prefix = 'test'): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;
}

/** Runs SQL on the test database on a connection of its own. */
export async function runSql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. */
export function dropSchema(schema: string): Promise<void> {
  return runSql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
