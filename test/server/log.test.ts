import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../../src/testing/assertions.js';
import { append, auth, problem, type TestServer, testServer } from './support.js';

let server: TestServer;
beforeEach(async () => {
  server = await testServer();
});
afterEach(() => server.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.inject({
    method: 'POST',
    url,
    headers: { ...auth('writer'), ...headers },
    payload: payload as string,
  });
const get = (url: string, headers: Record<string, string> = {}) =>
  server.inject({ url, headers: { ...auth('reader'), ...headers } });

describe('POST /streams/{streamId}', () => {
  it('appends and answers 201 with the version, the position and the ETag', async () => {
    const res = await append(server, 'acc-1', [
      { type: 'Opened', data: { owner: 'ada' } },
      { type: 'Deposited', data: { amount: 5 }, id: 'my-id-1' },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ streamId: 'acc-1', streamVersion: 2, position: 2 });
    expect(res.headers.etag).toBe('"2"');
    const stored = await collect(server.store.readStream('acc-1'));
    expect(stored.map((e) => [e.type, e.streamVersion])).toEqual([
      ['Opened', 1],
      ['Deposited', 2],
    ]);
    expect(stored[1]?.id).toBe('my-id-1');
  });

  it('checks a version from the body (409) or from If-Match (412); * needs an existing stream', async () => {
    await append(server, 's', [{ type: 'A', data: 1 }]);
    const stale = await post('/streams/s', { events: [{ type: 'B', data: 1 }], expectedVersion: 0 });
    expect(problem(stale, 409, 'WrongExpectedVersion')).toMatchObject({
      streamId: 's',
      expected: 0,
      actual: 1,
    });
    const staleHeader = await post('/streams/s', { events: [{ type: 'B', data: 1 }] }, { 'if-match': '"3"' });
    expect(problem(staleHeader, 412, 'WrongExpectedVersion')).toMatchObject({ expected: 3, actual: 1 });
    const fresh = await post('/streams/s', { events: [{ type: 'B', data: 1 }] }, { 'if-match': '"1"' });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.headers.etag).toBe('"2"');
    problem(
      await post('/streams/new', { events: [{ type: 'B', data: 1 }] }, { 'if-match': '*' }),
      412,
      'WrongExpectedVersion',
    );
    expect(
      (await post('/streams/s', { events: [{ type: 'C', data: 1 }] }, { 'if-match': '*' })).statusCode,
    ).toBe(201);
    for (const bad of ['W/"1"', '"1", "2"', '1', '"x"']) {
      problem(
        await post('/streams/s', { events: [{ type: 'B', data: 1 }] }, { 'if-match': bad }),
        400,
        'InvalidInput',
      );
    }
    const both = await post(
      '/streams/s',
      { events: [{ type: 'B', data: 1 }], expectedVersion: 3 },
      { 'if-match': '"3"' },
    );
    problem(both, 400, 'InvalidInput');
    expect(await server.store.streamVersion('s')).toBe(3);
  });

  it('refuses bad input with a problem naming the field, and stores nothing of it', async () => {
    const cases: [unknown, string, string][] = [
      [{}, 'InvalidInput', 'events'],
      [{ events: [] }, 'InvalidInput', 'events'],
      [{ events: [{ type: 'A' }] }, 'InvalidInput', 'events[0].data'],
      [{ events: [{ type: '', data: 1 }] }, 'InvalidInput', 'events[0].type'],
      [{ events: [{ type: 'A', data: 1, extra: true }] }, 'InvalidInput', 'events[0].extra'],
      [{ events: [{ type: 'A', data: 1 }], expectedVersion: -1 }, 'InvalidInput', 'expectedVersion'],
      [{ events: [{ type: 'A', data: 1 }], expectedVersion: '2' }, 'InvalidInput', 'expectedVersion'],
      [{ events: [{ type: 'A', data: 1, metadata: [] }] }, 'InvalidInput', 'events[0].metadata'],
      [[1, 2], 'InvalidInput', ''],
    ];
    for (const [payload, code, field] of cases) {
      expect(problem(await post('/streams/s', payload), 400, code).field, JSON.stringify(payload)).toBe(
        field,
      );
    }
    const store = [
      [{ events: [{ type: 'A\u0001', data: 1 }] }, 'InvalidEvent'],
      [
        {
          events: [
            { type: 'A', data: 1, id: 'x' },
            { type: 'B', data: 1, id: 'x' },
          ],
        },
        'DuplicateEventId',
      ],
    ] as const;
    for (const [payload, code] of store)
      problem(await post('/streams/s', payload), code === 'InvalidEvent' ? 400 : 409, code);
    problem(
      await post(`/streams/${'x'.repeat(201)}`, { events: [{ type: 'A', data: 1 }] }),
      400,
      'InvalidStreamId',
    );
    problem(await post('/streams/a%01b', { events: [{ type: 'A', data: 1 }] }), 400, 'InvalidStreamId');
    // A good event beside a bad one: nothing of the append is stored.
    const mixed = {
      events: [
        { type: 'Good', data: 1 },
        { type: 'Bad', data: 1, id: '' },
      ],
    };
    problem(await post('/streams/s', mixed), 400, 'InvalidInput');
    expect(await server.store.headPosition()).toBe(0);
  });

  it('answers 413 past 64 KiB, 400 for malformed JSON, 415 for another content type', async () => {
    const big = { events: [{ type: 'A', data: 'x'.repeat(70 * 1024) }] };
    expect(problem(await post('/streams/s', big), 413, 'PayloadTooLarge')).toMatchObject({ limit: 65536 });
    for (const body of ['{"events": [', '', '{"__proto__": {"x": 1}, "events": []}']) {
      problem(await post('/streams/s', body, { 'content-type': 'application/json' }), 400, 'MalformedJson');
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      problem(await post('/streams/s', 'events=1', { 'content-type': type }), 415, 'UnsupportedMediaType');
    }
    problem(
      await server.inject({ method: 'POST', url: '/streams/s', headers: auth('writer') }),
      400,
      'InvalidInput',
    );
    expect(await server.store.headPosition()).toBe(0);
  });

  it('an event the store finds too large is 413 EventTooLarge', async () => {
    // 64 KiB of body cannot carry a 1 MiB event; a smaller store limit shows the mapping.
    const small = await testServerWithLimit();
    try {
      const res = await small.inject({
        method: 'POST',
        url: '/streams/s',
        headers: auth('writer'),
        payload: { events: [{ type: 'A', data: 'x'.repeat(2000) }] },
      });
      problem(res, 413, 'EventTooLarge');
    } finally {
      await small.close();
    }
  });
});

async function testServerWithLimit() {
  const { createSqliteEventStore } = await import('hindsight/sqlite');
  const { buildServer, parseTokens } = await import('../../src/server/index.js');
  const store = createSqliteEventStore({ file: ':memory:', maxEventBytes: 1000 });
  const app = await buildServer({ store, tokens: parseTokens('writer-token-0123456789:will:writer') });
  return {
    inject: app.inject.bind(app),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

describe('Idempotency-Key', () => {
  const body = { events: [{ type: 'Deposited', data: { amount: 5 } }] };

  it('answers the first response again and appends nothing; another body with the key is 422', async () => {
    const first = await post('/streams/acc', body, { 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(201);
    const again = await post('/streams/acc', body, { 'idempotency-key': 'k-1' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(await server.store.headPosition()).toBe(1);
    const other = await post(
      '/streams/acc',
      { events: [{ type: 'Deposited', data: { amount: 6 } }] },
      { 'idempotency-key': 'k-1' },
    );
    expect(problem(other, 422, 'IdempotencyKeyReused')).toMatchObject({ idempotencyKey: 'k-1' });
    problem(await post('/streams/other', body, { 'idempotency-key': 'k-1' }), 422, 'IdempotencyKeyReused');
    expect(await server.store.headPosition()).toBe(1);
  });

  it('keeps a refusal as the answer too, and survives a restart', async () => {
    await append(server, 'acc', [{ type: 'Opened', data: {} }]);
    const stale = { ...body, expectedVersion: 0 };
    problem(await post('/streams/acc', stale, { 'idempotency-key': 'k-2' }), 409, 'WrongExpectedVersion');
    await post('/streams/acc', body, { 'idempotency-key': 'k-3' });
    await server.restart();
    problem(await post('/streams/acc', stale, { 'idempotency-key': 'k-2' }), 409, 'WrongExpectedVersion');
    const replay = await post('/streams/acc', body, { 'idempotency-key': 'k-3' });
    expect(replay.json()).toEqual({ streamId: 'acc', streamVersion: 2, position: 2 });
    expect(await server.store.headPosition()).toBe(2);
  });

  it("scopes keys to the token's actor", async () => {
    await post('/streams/acc', body, { 'idempotency-key': 'shared' });
    const byAdmin = await server.inject({
      method: 'POST',
      url: '/streams/acc',
      headers: { ...auth('admin'), 'idempotency-key': 'shared' },
      payload: body,
    });
    expect(byAdmin.json()).toMatchObject({ streamVersion: 2 });
  });

  it('concurrent requests with one key store the events once', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        post(
          '/streams/acc',
          {
            events: [
              { type: 'A', data: 1 },
              { type: 'B', data: 2 },
            ],
          },
          { 'idempotency-key': 'race' },
        ),
      ),
    );
    expect(new Set(results.map((r) => r.statusCode))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.body)).size).toBe(1);
    expect(await server.store.headPosition()).toBe(2);
  });

  it('refuses a malformed key', async () => {
    problem(await post('/streams/acc', body, { 'idempotency-key': 'a b' }), 400, 'InvalidInput');
  });
});

describe('GET /events', () => {
  beforeEach(async () => {
    for (let i = 1; i <= 5; i++) {
      await append(server, `acc-${i % 2}`, [{ type: i % 2 ? 'Deposited' : 'Withdrawn', data: { i } }]);
      await append(server, `order-${i}`, [{ type: 'Placed', data: { i } }]);
    }
  });

  it('pages through the log with next until null', async () => {
    const seen: number[] = [];
    let from: number | null = 1;
    let pages = 0;
    while (from !== null) {
      const res = await get(`/events?from=${from}&limit=3`);
      expect(res.statusCode).toBe(200);
      const page = res.json() as { events: { position: number; recordedAt: string }[]; next: number | null };
      seen.push(...page.events.map((e) => e.position));
      from = page.next;
      pages++;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(pages).toBe(4);
    const all = (await get('/events')).json();
    expect(all.next).toBeNull();
    expect(all.events[0]).toMatchObject({
      position: 1,
      streamId: 'acc-1',
      streamVersion: 1,
      type: 'Deposited',
    });
    expect(new Date(all.events[0].recordedAt).toISOString()).toBe(all.events[0].recordedAt);
  });

  it('filters by stream prefix and by types', async () => {
    const accounts = (await get('/events?streamPrefix=acc-')).json();
    expect(accounts.events.map((e: { streamId: string }) => e.streamId)).toEqual([
      'acc-1',
      'acc-0',
      'acc-1',
      'acc-0',
      'acc-1',
    ]);
    const types = (await get('/events?type=Withdrawn&type=Placed&limit=100')).json();
    expect(types.events).toHaveLength(7);
    const one = (await get('/events?type=Withdrawn&limit=1')).json();
    expect(one.events.map((e: { position: number }) => e.position)).toEqual([3]);
    expect(one.next).toBe(4);
  });

  it('refuses bad query values', async () => {
    for (const q of ['from=-1', 'from=x', 'limit=0', 'limit=1001', 'from=99999999999999999']) {
      problem(await get(`/events?${q}`), 400, 'InvalidInput');
    }
  });
});

describe('GET /streams/{streamId}', () => {
  it('pages forwards and backwards, with the version as ETag; 404 for a stream with no events', async () => {
    await append(
      server,
      'a/b c',
      [1, 2, 3, 4, 5].map((n) => ({ type: 'N', data: n })),
    );
    const url = `/streams/${encodeURIComponent('a/b c')}`;
    const first = await get(`${url}?limit=2`);
    expect(first.headers.etag).toBe('"5"');
    expect(first.json().events.map((e: { data: number }) => e.data)).toEqual([1, 2]);
    expect(first.json().next).toBe(3);
    const last = (await get(`${url}?from=5&limit=2`)).json();
    expect(last).toMatchObject({ next: null });
    const back = (await get(`${url}?direction=backwards&limit=2`)).json();
    expect(back.events.map((e: { data: number }) => e.data)).toEqual([5, 4]);
    expect(back.next).toBe(3);
    const end = (await get(`${url}?direction=backwards&from=2&limit=2`)).json();
    expect(end).toMatchObject({ next: null });
    problem(await get('/streams/none'), 404, 'StreamNotFound');
    problem(await get(`${url}?direction=sideways`), 400, 'InvalidInput');
  });
});

describe('errors', () => {
  it('answers unknown routes with a 404 problem', async () => {
    problem(await get('/nowhere'), 404, 'NotFound');
    problem(
      await server.inject({ method: 'DELETE', url: '/streams/x', headers: auth('admin') }),
      404,
      'NotFound',
    );
    problem(await get('/streams/%E0%A4%A'), 400, 'InvalidInput');
  });

  it('describes every route in /openapi.json', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/events',
      '/events/live',
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/projections',
      '/projections/{name}/rebuild',
      '/sagas',
      '/sagas/{name}/{id}',
      '/sagas/{name}/{id}/cancel',
      '/sagas/{name}/{id}/retry',
      '/streams/{streamId}',
    ]);
    const appendOp = doc.paths['/streams/{streamId}'].post;
    expect(appendOp['x-hindsight-role']).toBe('writer');
    expect(appendOp.requestBody.content['application/json'].schema.required).toEqual(['events']);
    expect(appendOp.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect(doc.components.schemas.RecordedEvent).toBeDefined();
    expect(doc.paths['/metrics'].get['x-hindsight-role']).toBe('reader');
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });
});

describe('hostile bodies', () => {
  it('refuses a body nested thousands of levels deep with a 400, with or without a key', async () => {
    for (const depth of [70, 5000, 30000]) {
      const data = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const payload = `{"events":[{"type":"X","data":${data}}]}`;
      for (const key of [{}, { 'idempotency-key': `deep-${depth}` }] as Record<string, string>[]) {
        const res = await post('/streams/s', payload, { 'content-type': 'application/json', ...key });
        problem(res, 400, 'InvalidInput');
      }
    }
    const fine = `{"events":[{"type":"X","data":${'['.repeat(60)}${']'.repeat(60)}}]}`;
    expect((await post('/streams/s', fine, { 'content-type': 'application/json' })).statusCode).toBe(201);
    expect(await server.store.headPosition()).toBe(1);
  });
});
