// The state-stored baseline of `npm run bench:http`: the bank's deposit endpoint as most services would write it,
// one `UPDATE accounts SET balance = balance + ?` per request, on the same kind of SQLite file (WAL; strict:
// each commit fsynced), behind the same server: `buildServer` (Fastify, bearer tokens, zod validation, problem
// answers, Idempotency-Key, metrics) with the bank's own schemas for the id and the amount. Only the handler
// differs: no events, no projections, no sagas. Run by bench/http-deposits.ts in a process of its own:
//   node --import tsx bench/state-stored-server.ts --port 0 --data <dir> [--durability strict|normal]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WrongExpectedVersionError } from 'hindsight';
import { buildServer, parseTokens, preconditionFailed, problemOf, type RouteModule } from 'hindsight/server';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import {
  accountIdSchema,
  accountParams,
  amountSchema,
  correlationIdOf,
  parseIfMatch,
} from '../src/domains/bank/http.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};
const port = Number(flag('port', '0'));
const dataDir = flag('data', './data-baseline');
const durability = flag('durability', 'strict') === 'normal' ? 'normal' : 'strict';
const balanceLimit = 1_000_000_000_000_000;

mkdirSync(dataDir, { recursive: true });
// The store only gives the server what `buildServer` asks of any store (health, the log routes, the table of
// idempotency keys); its connection, with the store's pragmas, holds the accounts table too.
const store = createSqliteEventStore({ file: join(dataDir, 'state.sqlite'), durability });
const db = store.database;
// A state-stored service makes each UPDATE durable in its COMMIT: said here, not left to the store's settings.
db.pragma(`synchronous = ${durability === 'strict' ? 'FULL' : 'NORMAL'}`);
db.exec(`CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, currency TEXT NOT NULL, balance INTEGER NOT NULL,
  status TEXT NOT NULL, version INTEGER NOT NULL, updated_by TEXT NOT NULL, correlation_id TEXT,
  updated_at TEXT NOT NULL
)`);
const open = db.prepare<{
  id: string;
  owner: string;
  currency: string;
  actor: string;
  correlationId: string | null;
  at: string;
}>(
  `INSERT INTO accounts (id, owner, currency, balance, status, version, updated_by, correlation_id, updated_at)
   VALUES (@id, @owner, @currency, 0, 'open', 1, @actor, @correlationId, @at) ON CONFLICT (id) DO NOTHING`,
);
const deposit = db.prepare<
  {
    id: string;
    amount: number;
    expected: number | null;
    actor: string;
    correlationId: string | null;
    at: string;
  },
  { balance: number; version: number }
>(
  `UPDATE accounts SET balance = balance + @amount, version = version + 1, updated_by = @actor,
     correlation_id = @correlationId, updated_at = @at
   WHERE id = @id AND status = 'open' AND balance + @amount <= ${balanceLimit}
     AND (@expected IS NULL OR version = @expected)
   RETURNING balance, version`,
);
const account = db.prepare<[string], { balance: number; version: number; status: string }>(
  'SELECT balance, version, status FROM accounts WHERE id = ?',
);

const routes: RouteModule = (r) => {
  r.json({
    method: 'POST',
    path: '/accounts',
    summary: 'Opens an account (state stored)',
    body: z.strictObject({
      accountId: accountIdSchema,
      owner: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/, 'must be three capital letters (ISO 4217)')
        .optional(),
    }),
    responses: { 201: { description: 'Opened' } },
    handler: async ({ body, caller, headers }) => {
      const done = open.run({
        id: body.accountId,
        owner: body.owner,
        currency: body.currency ?? 'EUR',
        actor: caller?.actor ?? 'anonymous',
        correlationId: correlationIdOf(headers) ?? null,
        at: new Date().toISOString(),
      });
      if (done.changes === 0) {
        throw problemOf('AccountExists', `account ${body.accountId} exists`, { accountId: body.accountId });
      }
      return {
        status: 201,
        body: { accountId: body.accountId, version: 1, position: Number(done.lastInsertRowid) },
        headers: { etag: '"1"' },
      };
    },
  });
  r.json({
    method: 'POST',
    path: '/accounts/{id}/deposits',
    summary: 'Deposits money into an open account (state stored)',
    params: accountParams,
    body: z.strictObject({ amount: amountSchema }),
    responses: { 201: { description: 'Deposited' } },
    handler: async ({ params, body, caller, headers }) => {
      const expected = parseIfMatch(headers['if-match']);
      const row = deposit.get({
        id: params.id,
        amount: body.amount,
        expected: typeof expected === 'number' ? expected : null,
        actor: caller?.actor ?? 'anonymous',
        correlationId: correlationIdOf(headers) ?? null,
        at: new Date().toISOString(),
      });
      if (!row) throw refusal(params.id, body.amount, expected);
      return {
        status: 201,
        // No log, so no position: the version stands in for it, to keep the answer the same size.
        body: { accountId: params.id, balance: row.balance, version: row.version, position: row.version },
        headers: { etag: `"${row.version}"`, 'x-hindsight-position': String(row.version) },
      };
    },
  });
};

/** Why the UPDATE changed nothing, as the problem the bank answers with. */
function refusal(id: string, amount: number, expected: unknown): unknown {
  const now = account.get(id);
  if (!now) return problemOf('AccountNotFound', `no account ${JSON.stringify(id)}`, { accountId: id });
  if (now.status !== 'open') return problemOf('AccountClosed', `account ${id} is closed`, { accountId: id });
  if (typeof expected === 'number' && expected !== now.version) {
    return preconditionFailed(new WrongExpectedVersionError(`account-${id}`, expected, now.version));
  }
  return problemOf('BalanceLimitExceeded', `a deposit of ${amount} would pass the balance limit`, {
    accountId: id,
  });
}

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = await buildServer({
  store,
  tokens: parseTokens(process.env.HINDSIGHT_TOKENS ?? ''),
  modules: [routes],
  logger: { level: 'warn', stream: process.stderr },
  metrics: { registry },
});
const address = await app.listen({ port, host: '127.0.0.1' });
console.log(`state-stored baseline: SQLite ${join(dataDir, 'state.sqlite')} (durability ${durability})`);
console.log(`listening on ${address}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  await store.close();
  console.log('stopped');
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
