// The bank's HTTP contract (issue 6), run against a real server process on each store.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actors, type BankServer, type Reply, type Role } from './server-process.js';

/** Checks a problem answer: its status, media type and code. */
function expectProblem(res: Reply, status: number, code: string, field?: string) {
  expect({ status: res.status, code: res.body.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  for (const key of ['title', 'detail', 'status', 'code']) expect(res.body).toHaveProperty(key);
  if (field !== undefined) expect(res.body.field).toBe(field);
}

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Registers the contract's tests; `start` gives a fresh server, stopped after the last test. */
export function bankContract(start: () => Promise<BankServer>) {
  let server: BankServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call: BankServer['call'] = (...args) => server.call(...args);
  const head = async () => {
    const page = await call('GET', '/events?limit=1000');
    const events = page.body.events as { position: number }[];
    // The head as the log says it, not as a page of it: read the last page.
    let next = page.body.next as number | null;
    let last = events.at(-1)?.position ?? 0;
    while (next !== null) {
      const more = await call('GET', `/events?limit=1000&from=${next}`);
      last = (more.body.events as { position: number }[]).at(-1)?.position ?? last;
      next = more.body.next;
    }
    return last;
  };
  const open = async (id: string, as: Role = 'writer') => {
    const res = await call('POST', '/accounts', { as, body: { accountId: id, owner: 'ada' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res;
  };
  const move = (id: string, kind: 'deposits' | 'withdrawals', amount: unknown, headers = {}) =>
    call('POST', `/accounts/${id}/${kind}`, { body: { amount }, headers });
  const read = (id: string, query = '') => call('GET', `/accounts/${id}${query}`, { as: 'reader' });

  describe('accounts', () => {
    it('opens an account: 201 with its version and position, ETag, and 409 AccountExists for an id in use', async () => {
      const id = unique('open');
      const res = await call('POST', '/accounts', { body: { accountId: id, owner: 'ada', currency: 'USD' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ accountId: id, version: 1, position: expect.any(Number) });
      expect(res.headers.get('etag')).toBe('"1"');
      expectProblem(
        await call('POST', '/accounts', { body: { accountId: id, owner: 'bob' } }),
        409,
        'AccountExists',
      );
      const got = await read(id, `?minPosition=${res.body.position}`);
      expect(got.body).toEqual({
        accountId: id,
        owner: 'ada',
        currency: 'USD',
        balance: 0,
        status: 'open',
        version: 1,
      });
    });

    it('makes an id when none is sent, the same one again for a retried Idempotency-Key', async () => {
      const made = await call('POST', '/accounts', { body: { owner: 'ada' } });
      expect(made.status).toBe(201);
      expect(made.body.accountId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      const key = unique('open-key');
      const first = await call('POST', '/accounts', {
        body: { owner: 'ada' },
        headers: { 'idempotency-key': key },
      });
      const again = await call('POST', '/accounts', {
        body: { owner: 'ada' },
        headers: { 'idempotency-key': key },
      });
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      const got = await read(first.body.accountId as string, `?minPosition=${first.body.position}`);
      expect(got.body.currency).toBe('EUR');
    });

    it('deposits and withdraws: 201 with the balance, version and position; ETag is the version', async () => {
      const id = unique('money');
      await open(id);
      const d = await move(id, 'deposits', 1000);
      expect(d.status).toBe(201);
      expect(d.body).toEqual({ accountId: id, balance: 1000, version: 2, position: expect.any(Number) });
      expect(d.headers.get('etag')).toBe('"2"');
      const w = await move(id, 'withdrawals', 400);
      expect(w.body).toMatchObject({ balance: 600, version: 3 });
      expect(w.body.position).toBeGreaterThan(d.body.position as number);
      expectProblem(await move(id, 'withdrawals', 601), 422, 'InsufficientFunds');
      const got = await read(id, `?minPosition=${w.body.position}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ balance: 600, version: 3 });
      expect(got.headers.get('etag')).toBe('"3"');
      expect(Number(got.headers.get('x-hindsight-position'))).toBeGreaterThanOrEqual(
        w.body.position as number,
      );
    });

    it('answers 404 AccountNotFound for an unknown account, to commands and reads', async () => {
      const id = unique('ghost');
      expectProblem(await move(id, 'deposits', 5), 404, 'AccountNotFound');
      expectProblem(await move(id, 'withdrawals', 5), 404, 'AccountNotFound');
      expectProblem(await call('POST', `/accounts/${id}/close`), 404, 'AccountNotFound');
      expectProblem(await read(id), 404, 'AccountNotFound');
      expectProblem(await call('GET', `/accounts/${id}/history`, { as: 'reader' }), 404, 'AccountNotFound');
    });

    it('closes an empty account (200), refuses one with money (422 AccountNotEmpty), then refuses commands (422 AccountClosed)', async () => {
      const id = unique('close');
      await open(id);
      await move(id, 'deposits', 10);
      expectProblem(await call('POST', `/accounts/${id}/close`), 422, 'AccountNotEmpty');
      await move(id, 'withdrawals', 10);
      const closed = await call('POST', `/accounts/${id}/close`);
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ accountId: id, balance: 0, version: 4 });
      expectProblem(await move(id, 'deposits', 1), 422, 'AccountClosed');
      expectProblem(await move(id, 'withdrawals', 1), 422, 'AccountClosed');
      const got = await read(id, `?minPosition=${closed.body.position}`);
      expect(got.body.status).toBe('closed');
    });

    it('honours If-Match: the right version runs the command, a stale one is 412 WrongExpectedVersion', async () => {
      const id = unique('etag');
      await open(id);
      const ok = await move(id, 'deposits', 5, { 'if-match': '"1"' });
      expect(ok.status).toBe(201);
      expect(ok.headers.get('etag')).toBe('"2"');
      expectProblem(await move(id, 'deposits', 5, { 'if-match': '"1"' }), 412, 'WrongExpectedVersion');
      expectProblem(
        await call('POST', `/accounts/${id}/close`, { headers: { 'if-match': '"1"' } }),
        412,
        'WrongExpectedVersion',
      );
      expectProblem(await move(id, 'deposits', 5, { 'if-match': 'W/"2"' }), 400, 'InvalidInput', 'If-Match');
      expect((await read(id, `?minPosition=${ok.body.position}`)).body.balance).toBe(5);
    });

    it('honours Idempotency-Key: the same request again answers the first response and appends nothing', async () => {
      const id = unique('idem');
      await open(id);
      const key = unique('key');
      const first = await move(id, 'deposits', 70, { 'idempotency-key': key });
      const before = await head();
      const again = await move(id, 'deposits', 70, { 'idempotency-key': key });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      expectProblem(await move(id, 'deposits', 71, { 'idempotency-key': key }), 422, 'IdempotencyKeyReused');
      expect(await head()).toBe(before);
      // A refusal is the key's answer too.
      const refusedKey = unique('key');
      expectProblem(
        await move(id, 'withdrawals', 1000, { 'idempotency-key': refusedKey }),
        422,
        'InsufficientFunds',
      );
      await move(id, 'deposits', 1000);
      expectProblem(
        await move(id, 'withdrawals', 1000, { 'idempotency-key': refusedKey }),
        422,
        'InsufficientFunds',
      );
    });
  });

  describe('bad input', () => {
    it('answers 400 InvalidInput naming the field, never a 500, and stores nothing', async () => {
      const id = unique('bad');
      await open(id);
      const before = await head();
      for (const amount of [
        0,
        -1,
        1.5,
        '5',
        1e12 + 1,
        1e13,
        null,
        true,
        [],
        {},
        Number.MAX_SAFE_INTEGER + 2,
      ]) {
        expectProblem(await move(id, 'deposits', amount), 400, 'InvalidInput', 'amount');
        expectProblem(await move(id, 'withdrawals', amount), 400, 'InvalidInput', 'amount');
      }
      expectProblem(
        await call('POST', `/accounts/${id}/deposits`, { body: {} }),
        400,
        'InvalidInput',
        'amount',
      );
      expectProblem(
        await call('POST', `/accounts/${id}/deposits`, { body: { amount: 1, actor: 'mallory' } }),
        400,
        'InvalidInput',
        'actor',
      );
      for (const [body, field] of [
        [{ accountId: 'has space', owner: 'x' }, 'accountId'],
        [{ accountId: 'x'.repeat(65), owner: 'x' }, 'accountId'],
        [{ accountId: unique('ok'), owner: '' }, 'owner'],
        [{ accountId: unique('ok') }, 'owner'],
        [{ accountId: unique('ok'), owner: 'x', currency: 'euro' }, 'currency'],
        [{ accountId: 7, owner: 'x' }, 'accountId'],
      ] as const) {
        expectProblem(await call('POST', '/accounts', { body }), 400, 'InvalidInput', field);
      }
      expectProblem(
        await call('POST', '/accounts/bad%20id/deposits', { body: { amount: 1 } }),
        400,
        'InvalidInput',
        'id',
      );
      expectProblem(
        await call('POST', `/accounts/${id}/deposits`, { raw: '{"amount": 1' }),
        400,
        'MalformedJson',
      );
      expectProblem(
        await call('POST', `/accounts/${id}/deposits`, {
          raw: 'amount=1',
          headers: { 'content-type': 'text/plain' },
        }),
        415,
        'UnsupportedMediaType',
      );
      expectProblem(
        await call('POST', `/accounts/${id}/deposits`, { body: { amount: 1, pad: 'x'.repeat(70_000) } }),
        413,
        'PayloadTooLarge',
      );
      expectProblem(await read(id, '?minPosition=-1'), 400, 'InvalidInput', 'minPosition');
      expectProblem(await read(id, '?asOf=yesterday'), 400, 'InvalidInput', 'asOf');
      expectProblem(await read(id, '?asOf=2026-01-01T00:00:00Z&atPosition=1'), 400, 'InvalidInput');
      expectProblem(await call('GET', '/accounts?limit=0', { as: 'reader' }), 400, 'InvalidInput', 'limit');
      expectProblem(
        await call('GET', '/accounts?cursor=nonsense', { as: 'reader' }),
        400,
        'InvalidInput',
        'cursor',
      );
      expectProblem(
        await call('GET', '/reports/daily?from=2026-02-30&to=2026-03-01', { as: 'reader' }),
        400,
        'InvalidInput',
        'from',
      );
      expectProblem(
        await call('GET', '/reports/daily?from=2026-03-02&to=2026-03-01', { as: 'reader' }),
        400,
        'InvalidInput',
        'to',
      );
      expectProblem(
        await call('GET', '/reports/daily?from=2020-01-01&to=2026-03-01', { as: 'reader' }),
        400,
        'InvalidInput',
        'to',
      );
      expect(await head()).toBe(before);
    });
  });

  describe('auth', () => {
    const routes: [method: string, path: (id: string) => string, body?: unknown][] = [
      ['POST', () => '/accounts', { owner: 'x' }],
      ['POST', (id) => `/accounts/${id}/deposits`, { amount: 1 }],
      ['POST', (id) => `/accounts/${id}/withdrawals`, { amount: 1 }],
      ['POST', (id) => `/accounts/${id}/close`],
      ['GET', (id) => `/accounts/${id}`],
      ['GET', () => '/accounts'],
      ['GET', (id) => `/accounts/${id}/history`],
      ['GET', () => '/reports/daily?from=2026-01-01&to=2026-01-02'],
      ['GET', () => '/alerts'],
    ];

    it('answers 401 without a token or with an unknown one, and 403 to a reader’s commands', async () => {
      const id = unique('auth');
      await open(id);
      const before = await head();
      for (const [method, path, body] of routes) {
        const res = await call(method, path(id), { as: null, body });
        expectProblem(res, 401, 'Unauthorized');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expectProblem(
          await call(method, path(id), {
            as: null,
            body,
            headers: { authorization: 'Bearer not-a-token-of-ours' },
          }),
          401,
          'Unauthorized',
        );
        expectProblem(
          await call(method, path(id), { as: null, body, headers: { authorization: 'Basic d2lsbDp4' } }),
          401,
          'Unauthorized',
        );
        if (method === 'POST')
          expectProblem(await call(method, path(id), { as: 'reader', body }), 403, 'Forbidden');
        else {
          for (const role of ['reader', 'writer', 'admin'] as const) {
            expect((await call(method, path(id), { as: role })).status).toBe(200);
          }
        }
      }
      expect(await head()).toBe(before);
    });

    it('lets writers and admins run commands, recording the token’s actor on every event', async () => {
      for (const role of ['writer', 'admin'] as const) {
        const id = unique(role);
        await open(id, role);
        await call('POST', `/accounts/${id}/deposits`, {
          as: role,
          body: { amount: 3 },
          headers: { 'x-actor': 'mallory' },
        });
        const last = await call('POST', `/accounts/${id}/withdrawals`, { as: role, body: { amount: 1 } });
        const history = await call('GET', `/accounts/${id}/history?minPosition=${last.body.position}`, {
          as: 'reader',
        });
        expect(history.body.items.map((h: { actor: string }) => h.actor)).toEqual([
          actors[role],
          actors[role],
          actors[role],
        ]);
        const stream = await call('GET', `/streams/account-${id}`, { as: 'reader' });
        expect(stream.body.events.map((e: { metadata: { actor: string } }) => e.metadata.actor)).toEqual([
          actors[role],
          actors[role],
          actors[role],
        ]);
      }
    });
  });

  describe('operations', () => {
    it('lets only admins rebuild the bank’s views; reads keep answering the same during and after', async () => {
      const id = unique('rebuild');
      await open(id);
      const d = await move(id, 'deposits', 42);
      const before = await read(id, `?minPosition=${d.body.position}`);
      for (const role of ['reader', 'writer'] as const) {
        expectProblem(
          await call('POST', '/projections/bank-balances/rebuild', { as: role }),
          403,
          'Forbidden',
        );
      }
      const started = await call('POST', '/projections/bank-balances/rebuild', { as: 'admin' });
      expect(started.status).toBe(202);
      expect((await read(id)).body).toEqual(before.body);
      const deadline = Date.now() + 10_000;
      let status: { rebuild?: unknown; status: string } | undefined;
      do {
        const list = await call('GET', '/projections', { as: 'reader' });
        status = (list.body as unknown as { name: string; rebuild?: unknown; status: string }[]).find(
          (p) => p.name === 'bank-balances',
        );
        if (status && !status.rebuild && status.status !== 'rebuilding') break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      expect(status?.rebuild).toBeUndefined();
      expect((await read(id, `?minPosition=${d.body.position}`)).body).toEqual(before.body);
    });
  });

  describe('reads', () => {
    it('waits for minPosition (read your writes), and answers 503 NotCaughtUp past timeoutMs', async () => {
      const id = unique('ryw');
      await open(id);
      for (let i = 0; i < 5; i++) {
        const d = await move(id, 'deposits', 1);
        const got = await read(id, `?minPosition=${d.body.position}`);
        expect(got.body.balance).toBe(i + 1);
      }
      const far = (await head()) + 1_000_000;
      const started = Date.now();
      expectProblem(await read(id, `?minPosition=${far}&timeoutMs=200`), 503, 'NotCaughtUp');
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    });

    it('travels in time: asOf an instant or atPosition answers as the account was then', async () => {
      const id = unique('past');
      const opened = await open(id);
      const first = await move(id, 'deposits', 100);
      await new Promise((r) => setTimeout(r, 30));
      const between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 30));
      const second = await move(id, 'deposits', 50);
      await read(id, `?minPosition=${second.body.position}`);

      const atFirst = await read(id, `?atPosition=${first.body.position}`);
      expect(atFirst.body).toMatchObject({ balance: 100, version: 2 });
      expect(atFirst.headers.get('etag')).toBe('"2"');
      expect(atFirst.headers.get('x-hindsight-position')).toBe(String(first.body.position));
      expect((await read(id, `?asOf=${encodeURIComponent(between)}`)).body).toMatchObject({
        balance: 100,
        version: 2,
      });
      expect((await read(id, `?atPosition=${opened.body.position}`)).body).toMatchObject({
        balance: 0,
        version: 1,
      });
      expectProblem(
        await read(id, `?atPosition=${(opened.body.position as number) - 1}`),
        404,
        'AccountNotFound',
      );
      const ahead = await read(id, '?atPosition=999999999');
      expect(ahead.body).toMatchObject({ balance: 150, version: 3 });
      expect(Number(ahead.headers.get('x-hindsight-position'))).toBeLessThan(999999999);
      expectProblem(await read(id, '?asOf=2001-01-01T00:00:00Z'), 404, 'AccountNotFound');
      expect((await read(id)).body).toMatchObject({ balance: 150, version: 3 });
    });

    it('lists accounts a page at a time with limit and cursor', async () => {
      const prefix = unique('list');
      const ids = [1, 2, 3, 4, 5].map((n) => `${prefix}-${n}`);
      let last = 0;
      for (const id of ids) last = (await open(id)).body.position as number;
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `?limit=2&minPosition=${last}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await call('GET', `/accounts${q}`, { as: 'reader' });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((a: { accountId: string }) => a.accountId));
        cursor = page.body.next;
        pages++;
      } while (cursor);
      expect(seen.filter((s) => s.startsWith(prefix))).toEqual(ids);
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('gives an account’s history a page at a time: every event with its actor, time and balance after', async () => {
      const id = unique('hist');
      await open(id);
      await move(id, 'deposits', 500, { 'x-correlation-id': 'corr-1' });
      const w = await move(id, 'withdrawals', 200);
      const page1 = await call('GET', `/accounts/${id}/history?limit=2&minPosition=${w.body.position}`, {
        as: 'reader',
      });
      expect(
        page1.body.items.map((h: Record<string, unknown>) => [h.type, h.amount, h.balanceAfter, h.version]),
      ).toEqual([
        ['AccountOpened', null, 0, 1],
        ['MoneyDeposited', 500, 500, 2],
      ]);
      expect(page1.body.items[1]).toMatchObject({
        eventId: expect.any(String),
        position: expect.any(Number),
        actor: 'will',
        correlationId: 'corr-1',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const page2 = await call('GET', `/accounts/${id}/history?limit=2&cursor=${page1.body.next}`, {
        as: 'reader',
      });
      expect(page2.body.items).toEqual([
        expect.objectContaining({ type: 'MoneyWithdrawn', amount: 200, balanceAfter: 300 }),
      ]);
      expect(page2.body.next).toBeNull();
      const events = (await call('GET', `/streams/account-${id}`, { as: 'reader' })).body.events;
      expect([...page1.body.items, ...page2.body.items].map((h: { eventId: string }) => h.eventId)).toEqual(
        events.map((e: { id: string }) => e.id),
      );
    });

    it('reports daily activity, every day of the range', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const report = async (position = 0) =>
        (
          await call('GET', `/reports/daily?from=${today}&to=${today}&minPosition=${position}`, {
            as: 'reader',
          })
        ).body.days[0];
      const before = await report();
      const id = unique('daily');
      await open(id);
      await move(id, 'deposits', 300);
      await move(id, 'deposits', 200);
      const w = await move(id, 'withdrawals', 50);
      const after = await report(w.body.position as number);
      expect(after.day).toBe(today);
      expect(after.depositCount - before.depositCount).toBe(2);
      expect(after.depositTotal - before.depositTotal).toBe(500);
      expect(after.withdrawalCount - before.withdrawalCount).toBe(1);
      expect(after.withdrawalTotal - before.withdrawalTotal).toBe(50);
      const week = await call('GET', '/reports/daily?from=2026-01-01&to=2026-01-07', { as: 'reader' });
      expect(week.body.days.map((d: { day: string }) => d.day)).toEqual(
        [1, 2, 3, 4, 5, 6, 7].map((d) => `2026-01-0${d}`),
      );
    });

    it('raises alerts for a large withdrawal and for a burst of withdrawals', async () => {
      const id = unique('alert');
      await open(id);
      await move(id, 'deposits', 5_000_000);
      const big = await move(id, 'withdrawals', 1_000_000);
      let last = big;
      for (let i = 0; i < 4; i++) last = await move(id, 'withdrawals', 10);
      const alerts = await call('GET', `/alerts?accountId=${id}&minPosition=${last.body.position}`, {
        as: 'reader',
      });
      const history = await call('GET', `/accounts/${id}/history?minPosition=${last.body.position}`, {
        as: 'reader',
      });
      const withdrawals = history.body.items
        .filter((h: { type: string }) => h.type === 'MoneyWithdrawn')
        .map((h: { eventId: string }) => h.eventId);
      expect(alerts.body.items).toEqual([
        expect.objectContaining({ rule: 'large-withdrawal', accountId: id, eventIds: [withdrawals[0]] }),
        expect.objectContaining({ rule: 'withdrawal-burst', accountId: id, eventIds: withdrawals }),
      ]);
      for (const a of alerts.body.items)
        expect(Object.keys(a).sort()).toEqual(['accountId', 'alertId', 'at', 'detail', 'eventIds', 'rule']);
      const all = await call('GET', '/alerts?limit=1', { as: 'reader' });
      expect(all.body.items).toHaveLength(1);
      expect(all.body.next).toEqual(expect.any(String));
    });
  });

  describe('money', () => {
    it('is conserved under concurrent random deposits and withdrawals from many clients', async () => {
      const prefix = unique('cons');
      // Three accounts for 400 commands: each passes 100 events, where the account's state is snapshotted.
      const ids = Array.from({ length: 3 }, (_, i) => `${prefix}-${i}`);
      const latest = new Map<string, { version: number; balance: number }>();
      for (const id of ids) await open(id);
      let deposited = 0;
      let withdrawn = 0;
      let refused = 0;
      const client = async (n: number) => {
        for (let i = 0; i < 25; i++) {
          const id = ids[(n * 7 + i * 3) % ids.length] as string;
          const amount = 1 + Math.floor(Math.random() * 1000);
          const kind = Math.random() < 0.5 ? 'deposits' : 'withdrawals';
          const res = await move(id, kind, amount);
          if (res.status === 201) {
            const seen = latest.get(id);
            if (!seen || seen.version < res.body.version) latest.set(id, res.body as never);
            if (kind === 'deposits') deposited += amount;
            else withdrawn += amount;
          } else {
            expectProblem(res, 422, 'InsufficientFunds');
            refused++;
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, n) => client(n)));
      const end = await head();
      const balances: number[] = [];
      for (const id of ids) {
        const got = await read(id, `?minPosition=${end}`);
        expect(got.body.balance).toBeGreaterThanOrEqual(0);
        // The command side (state loaded from snapshots) and the view agree.
        expect(got.body.version).toBe(latest.get(id)?.version);
        expect(got.body.balance).toBe(latest.get(id)?.balance);
        balances.push(got.body.balance);
      }
      const sum = balances.reduce((a, b) => a + b, 0);
      expect(sum).toBe(deposited - withdrawn);
      // The log says the same: a fold of every event of these accounts.
      let fromLog = 0;
      let from: number | null = 1;
      while (from !== null) {
        const page: Reply = await call(
          'GET',
          `/events?streamPrefix=account-${prefix}-&limit=1000&from=${from}`,
          {
            as: 'reader',
          },
        );
        for (const e of page.body.events as { type: string; data: { amount: number } }[]) {
          if (e.type === 'MoneyDeposited') fromLog += e.data.amount;
          if (e.type === 'MoneyWithdrawn') fromLog -= e.data.amount;
        }
        from = page.body.next as number | null;
      }
      expect(fromLog).toBe(sum);
      expect(refused + (await countMoves(prefix))).toBe(16 * 25);
    });
  });

  describe('transfers', () => {
    const settle = async (transferId: string) => {
      for (let i = 0; i < 400; i++) {
        const res = await call('GET', `/transfers/${transferId}`, { as: 'reader' });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        if (res.body.status !== 'pending') return res.body;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`transfer ${transferId} still pending`);
    };
    const transfer = (body: Record<string, unknown>, as: Role = 'writer', headers = {}) =>
      call('POST', '/transfers', { as, body, headers });

    it('moves money as a saga: 202 at once, then completed, with both legs in the balances and histories', async () => {
      const [a, b] = [unique('ta'), unique('tb')];
      await open(a);
      await open(b);
      await move(a, 'deposits', 1000);
      const res = await transfer({ from: a, to: b, amount: 300 });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ transferId: expect.any(String), position: expect.any(Number) });
      const done = await settle(res.body.transferId);
      expect(done).toMatchObject({
        transferId: res.body.transferId,
        from: a,
        to: b,
        amount: 300,
        status: 'completed',
      });
      expect(done.steps.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
        ['debit', 'succeeded'],
        ['credit', 'succeeded'],
      ]);
      const end = await head();
      expect((await read(a, `?minPosition=${end}`)).body.balance).toBe(700);
      expect((await read(b, `?minPosition=${end}`)).body.balance).toBe(300);
      const history = await call('GET', `/accounts/${b}/history?minPosition=${end}`, { as: 'reader' });
      expect(history.body.items.at(-1)).toMatchObject({
        type: 'TransferCredited',
        amount: 300,
        balanceAfter: 300,
        actor: actors.writer,
      });
    });

    it('ends failed when the source cannot pay, and compensated (refunded) when the target refuses the credit', async () => {
      const [a, b, closed] = [unique('tf'), unique('tg'), unique('tc')];
      await open(a);
      await open(b);
      await open(closed);
      expect((await call('POST', `/accounts/${closed}/close`)).status).toBe(200);
      await move(a, 'deposits', 100);
      const poor = await settle((await transfer({ from: a, to: b, amount: 500 })).body.transferId);
      expect(poor).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/^debit failed: InsufficientFunds/),
      });
      const refused = await settle((await transfer({ from: a, to: closed, amount: 60 })).body.transferId);
      expect(refused).toMatchObject({
        status: 'compensated',
        reason: expect.stringMatching(/^credit failed: AccountClosed/),
      });
      expect(refused.steps.map((s: { status: string }) => s.status)).toEqual(['compensated', 'failed']);
      const end = await head();
      expect((await read(a, `?minPosition=${end}`)).body.balance).toBe(100);
      expect((await read(closed, `?minPosition=${end}`)).body.balance).toBe(0);
    });

    it('refuses bad transfers clearly, is idempotent by transferId, and needs a writer', async () => {
      const [a, b] = [unique('ti'), unique('tj')];
      await open(a);
      await open(b);
      expectProblem(await transfer({ from: a, to: a, amount: 5 }), 400, 'InvalidInput', 'to');
      expectProblem(await transfer({ from: a, to: b, amount: 0 }), 400, 'InvalidInput', 'amount');
      expectProblem(await transfer({ from: a, to: b, amount: 1.5 }), 400, 'InvalidInput', 'amount');
      expectProblem(await transfer({ from: a, amount: 5 }), 400, 'InvalidInput', 'to');
      expectProblem(await transfer({ from: a, to: b, amount: 5, extra: 1 }), 400, 'InvalidInput');
      expectProblem(await transfer({ from: a, to: b, amount: 5 }, 'reader'), 403, 'Forbidden');
      expectProblem(await call('GET', '/transfers/nope', { as: 'reader' }), 404, 'TransferNotFound');
      const id = unique('t');
      const first = await transfer({ transferId: id, from: a, to: b, amount: 5 });
      const again = await transfer({ transferId: id, from: a, to: b, amount: 5 });
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      expectProblem(await transfer({ transferId: id, from: a, to: b, amount: 6 }), 409, 'SagaExists');
      expect((await settle(id)).status).toBe('failed'); // a had nothing
    });

    it('conserves money under concurrent transfers, deposits and withdrawals; every transfer ends', async () => {
      const prefix = unique('tm');
      const ids = Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);
      for (const id of ids) await open(id);
      let deposited = 0;
      let withdrawn = 0;
      const started: string[] = [];
      const client = async (n: number) => {
        for (let i = 0; i < 12; i++) {
          const from = ids[(n + i) % ids.length] as string;
          const to = ids[(n + i * 3 + 1) % ids.length] as string;
          const amount = 1 + Math.floor(Math.random() * 500);
          const roll = Math.random();
          if (roll < 0.3) {
            if ((await move(from, 'deposits', amount)).status === 201) deposited += amount;
          } else if (roll < 0.45) {
            if ((await move(from, 'withdrawals', amount)).status === 201) withdrawn += amount;
          } else if (from !== to) {
            const res = await transfer({ from, to, amount });
            expect(res.status).toBe(202);
            started.push(res.body.transferId);
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
      const ends = await Promise.all(started.map((id) => settle(id)));
      for (const end of ends) expect(['completed', 'failed', 'compensated']).toContain(end.status);
      const end = await head();
      let sum = 0;
      for (const id of ids) {
        const got = await read(id, `?minPosition=${end}`);
        expect(got.body.balance).toBeGreaterThanOrEqual(0);
        sum += got.body.balance;
      }
      expect(sum).toBe(deposited - withdrawn);
    });
  });

  async function countMoves(prefix: string): Promise<number> {
    let n = 0;
    let from: number | null = 1;
    while (from !== null) {
      const page: Reply = await call(
        'GET',
        `/events?streamPrefix=account-${prefix}-&type=MoneyDeposited&type=MoneyWithdrawn&limit=1000&from=${from}`,
        { as: 'reader' },
      );
      n += (page.body.events as unknown[]).length;
      from = page.body.next as number | null;
    }
    return n;
  }
}
