import type { AsOf, EventStore, ProjectionRunner } from 'hindsight';
import { problemOf, type Routes } from 'hindsight/server';
import { z } from 'zod';
import { accountParams, freshness, pageLimit, problems, queryInteger, viewPosition } from './http.js';
import { alertsInfo } from './projections/alerts.js';
import { type BalanceRow, balancesInfo } from './projections/balances.js';
import { dailyInfo, emptyDay } from './projections/daily.js';
import { historyInfo } from './projections/history.js';
import type { BankQueries, ViewTables } from './queries.js';

const accountSchema = z
  .object({
    accountId: z.string(),
    owner: z.string(),
    currency: z.string(),
    balance: z.number().int(),
    status: z.enum(['open', 'closed']),
    version: z.number().int(),
  })
  .meta({ id: 'Account' });

const accountJson = (r: BalanceRow): z.output<typeof accountSchema> => ({
  accountId: r.accountId,
  owner: r.owner,
  currency: r.currency,
  balance: r.balance,
  status: r.status,
  version: r.version,
});

const historyItem = z.object({
  eventId: z.string(),
  position: z.number().int(),
  version: z.number().int(),
  type: z.string(),
  amount: z.number().int().nullable().describe('Positive; null for opening and closing'),
  balanceAfter: z.number().int(),
  actor: z.string().nullable(),
  at: z.iso.datetime(),
  correlationId: z.string().nullable(),
  transferId: z.string().nullable(),
});

const alertItem = z.object({
  alertId: z.string(),
  rule: z.enum(['large-withdrawal', 'withdrawal-burst']),
  accountId: z.string(),
  at: z.iso.datetime(),
  eventIds: z.array(z.string()),
  detail: z.string(),
});

const dayString = (field: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
    .refine((d) => new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'is not a real day')
    .describe(`${field}: a UTC day, YYYY-MM-DD (inclusive)`);

const maxReportDays = 366;
const dayMs = 86_400_000;

/** Opaque page cursors: what the client hands back, never parsed by it. */
const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw problemOf('InvalidInput', 'cursor (query): is not a cursor this server gave', {
      field: 'cursor',
      in: 'query',
    });
  }
}

const cursorParam = z.string().max(500).optional().describe('The `next` of the previous page');
const positionHeader = (position: number) => ({ 'x-hindsight-position': String(position) });

/**
 * The bank's reads, each from its projection: accounts, an account's history, daily activity, alerts.
 *
 * @example
 * accountQueryRoutes(routes, queries, { store, runner }); // inside a RouteModule
 */
export function accountQueryRoutes(
  routes: Routes,
  queries: BankQueries,
  { store, runner }: { store: EventStore; runner: ProjectionRunner | undefined },
): void {
  routes.json({
    method: 'GET',
    path: '/accounts/{id}',
    summary: 'One account from the balances view, now or as of the past',
    description:
      'X-Hindsight-Position says how far the view has applied the log. minPosition waits for it (read your ' +
      'writes; 503 NotCaughtUp past timeoutMs); asOf (an ISO-8601 instant) or atPosition answers from the ' +
      'view rebuilt as of then.',
    params: accountParams,
    query: z.object({
      ...freshness,
      asOf: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('Answer as of this instant (ISO-8601, with Z or an offset)'),
      atPosition: queryInteger('Answer as of this position of the log').optional(),
    }),
    responses: {
      200: { description: 'The account; ETag is its version', schema: accountSchema },
    },
    problems: ['AccountNotFound', 'NotCaughtUp'],
    handler: async ({ params, query }) => {
      if (query.asOf !== undefined && query.atPosition !== undefined) {
        throw problemOf('InvalidInput', 'send asOf or atPosition, not both', {
          field: 'atPosition',
          in: 'query',
        });
      }
      const asOf: AsOf | undefined =
        query.asOf !== undefined
          ? { time: new Date(query.asOf) }
          : query.atPosition !== undefined
            ? { position: query.atPosition }
            : undefined;
      if (asOf !== undefined) {
        if (query.minPosition !== undefined) {
          throw problemOf('InvalidInput', 'minPosition is for the live view, not with asOf or atPosition', {
            field: 'minPosition',
            in: 'query',
          });
        }
        if (!runner) throw problemOf('NotCaughtUp', 'this server runs no projections');
        // Read first: the copy holds at least the log up to here (and up to atPosition).
        const head = await store.headPosition();
        const past = await runner.buildAsOf(balancesInfo.name, asOf);
        try {
          const row = await queries.account(params.id, past.view as ViewTables);
          if (!row) throw problems.notFound(params.id);
          const position = query.atPosition === undefined ? past.position : Math.min(query.atPosition, head);
          return {
            status: 200,
            body: accountJson(row),
            headers: { etag: `"${row.version}"`, ...positionHeader(position) },
          };
        } finally {
          await past.dispose();
        }
      }
      const position = await viewPosition(runner, balancesInfo.name, query);
      const row = await queries.account(params.id);
      if (!row) throw problems.notFound(params.id);
      return {
        status: 200,
        body: accountJson(row),
        headers: { etag: `"${row.version}"`, ...positionHeader(position) },
      };
    },
  });

  routes.json({
    method: 'GET',
    path: '/accounts',
    summary: 'Every account, in id order, a page at a time',
    query: z.object({ ...freshness, limit: pageLimit, cursor: cursorParam }),
    responses: {
      200: {
        description: 'A page of accounts',
        schema: z.object({
          items: z.array(accountSchema),
          next: z.string().nullable().describe('Pass as cursor for the next page; null at the end'),
        }),
      },
    },
    problems: ['NotCaughtUp'],
    handler: async ({ query }) => {
      const after = decodeCursor(query.cursor, z.object({ after: z.string() }));
      const position = await viewPosition(runner, balancesInfo.name, query);
      const rows = await queries.accounts(after?.after, query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      const next = rows.length > query.limit && last ? encodeCursor({ after: last.accountId }) : null;
      return { status: 200, body: { items: page.map(accountJson), next }, headers: positionHeader(position) };
    },
  });

  routes.json({
    method: 'GET',
    path: '/accounts/{id}/history',
    summary: 'An account’s audit trail: every event, its actor, time, correlation id and the balance it left',
    params: accountParams,
    query: z.object({ ...freshness, limit: pageLimit, cursor: cursorParam }),
    responses: {
      200: {
        description: 'A page of the account’s events, in version order',
        schema: z.object({ items: z.array(historyItem), next: z.string().nullable() }),
      },
    },
    problems: ['AccountNotFound', 'NotCaughtUp'],
    handler: async ({ params, query }) => {
      const from = decodeCursor(query.cursor, z.object({ version: z.number().int().min(1) }))?.version ?? 1;
      const position = await viewPosition(runner, historyInfo.name, query);
      const rows = await queries.history(params.id, from, query.limit + 1);
      if (rows.length === 0 && from === 1) throw problems.notFound(params.id);
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      const next = rows.length > query.limit && last ? encodeCursor({ version: last.version + 1 }) : null;
      const items = page.map(({ accountId: _, ...item }) => item);
      return { status: 200, body: { items, next }, headers: positionHeader(position) };
    },
  });

  routes.json({
    method: 'GET',
    path: '/reports/daily',
    summary: 'Deposits, withdrawals and transfers per UTC day, from one day to another (at most 366 days)',
    description: 'Every day of the range is listed, with zeros on a day without activity.',
    query: z.object({ ...freshness, from: dayString('from'), to: dayString('to') }),
    responses: {
      200: {
        description: 'One entry per day',
        schema: z.object({
          days: z.array(
            z.object({
              day: z.string(),
              depositCount: z.number().int(),
              depositTotal: z.number().int(),
              withdrawalCount: z.number().int(),
              withdrawalTotal: z.number().int(),
              transferCount: z.number().int(),
              transferTotal: z.number().int(),
            }),
          ),
        }),
      },
    },
    problems: ['NotCaughtUp'],
    handler: async ({ query }) => {
      const start = Date.parse(`${query.from}T00:00:00Z`);
      const end = Date.parse(`${query.to}T00:00:00Z`);
      if (end < start)
        throw problemOf('InvalidInput', 'to (query): must not be before from', { field: 'to', in: 'query' });
      if ((end - start) / dayMs + 1 > maxReportDays) {
        throw problemOf('InvalidInput', `to (query): the range is at most ${maxReportDays} days`, {
          field: 'to',
          in: 'query',
        });
      }
      const position = await viewPosition(runner, dailyInfo.name, query);
      const found = new Map((await queries.daily(query.from, query.to)).map((d) => [d.day, d]));
      const days = [];
      for (let t = start; t <= end; t += dayMs) {
        const day = new Date(t).toISOString().slice(0, 10);
        days.push(found.get(day) ?? emptyDay(day));
      }
      return { status: 200, body: { days }, headers: positionHeader(position) };
    },
  });

  routes.json({
    method: 'GET',
    path: '/alerts',
    summary: 'Suspicious activity, in the order it was raised: large withdrawals and bursts of withdrawals',
    query: z.object({
      ...freshness,
      limit: pageLimit,
      cursor: cursorParam,
      accountId: z.string().max(64).optional().describe('Only this account’s alerts'),
    }),
    responses: {
      200: {
        description: 'A page of alerts',
        schema: z.object({ items: z.array(alertItem), next: z.string().nullable() }),
      },
    },
    problems: ['NotCaughtUp'],
    handler: async ({ query }) => {
      const after = decodeCursor(query.cursor, z.object({ position: z.number().int(), alertId: z.string() }));
      const position = await viewPosition(runner, alertsInfo.name, query);
      const rows = await queries.alerts(after, query.limit + 1, query.accountId);
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      const next =
        rows.length > query.limit && last
          ? encodeCursor({ position: last.position, alertId: last.alertId })
          : null;
      const items = page.map(({ position: _, ...alert }) => alert);
      return { status: 200, body: { items, next }, headers: positionHeader(position) };
    },
  });
}
