import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateAdminToken, parseTokens } from '../../src/server/index.js';
import { append, auth, problem, type TestServer, testServer } from './support.js';

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
  await append(server, 'acc-1', [{ type: 'Opened', data: {} }]);
});
afterAll(() => server.close());

const appendBody = { events: [{ type: 'Noted', data: { n: 1 } }] };

// Every route with the weakest role it needs.
const routes = [
  { method: 'GET', url: '/events', needs: 'reader' },
  { method: 'GET', url: '/streams/acc-1', needs: 'reader' },
  { method: 'GET', url: '/projections', needs: 'reader' },
  { method: 'POST', url: '/streams/acc-1', needs: 'writer', payload: appendBody },
  { method: 'POST', url: '/projections/none/rebuild', needs: 'admin' },
] as const;
const roles = ['reader', 'writer', 'admin'] as const;
const rank = { reader: 1, writer: 2, admin: 3 };

describe('auth', () => {
  for (const route of routes) {
    it(`${route.method} ${route.url}: 401 without a token or with an unknown one`, async () => {
      const payload = 'payload' in route ? route.payload : undefined;
      const none = await server.inject({ method: route.method, url: route.url, payload });
      problem(none, 401, 'Unauthorized');
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const unknown = await server.inject({
        method: route.method,
        url: route.url,
        payload,
        headers: { authorization: 'Bearer not-a-token-of-this-server' },
      });
      problem(unknown, 401, 'Unauthorized');
      const basic = await server.inject({
        method: route.method,
        url: route.url,
        payload,
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      });
      problem(basic, 401, 'Unauthorized');
    });

    for (const role of roles) {
      const allowed = rank[role] >= rank[route.needs];
      it(`${route.method} ${route.url} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const res = await server.inject({
          method: route.method,
          url: route.url,
          headers: auth(role),
          payload: 'payload' in route ? route.payload : undefined,
        });
        if (allowed) expect([200, 201, 404]).toContain(res.statusCode);
        else {
          const body = problem(res, 403, 'Forbidden');
          expect(body).toMatchObject({ role, needed: route.needs });
        }
        if (allowed && res.statusCode === 404) problem(res, 404, 'ProjectionNotFound');
      });
    }
  }

  it('opens /healthz and /openapi.json without a token', async () => {
    expect((await server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
  });

  it("records the token's actor on every event and ignores an actor sent by the client", async () => {
    const res = await server.inject({
      method: 'POST',
      url: '/streams/actor-test',
      headers: auth('writer'),
      payload: {
        events: [
          { type: 'A', data: 1, metadata: { actor: 'mallory', correlationId: 'c-1' } },
          { type: 'B', data: 2 },
        ],
      },
    });
    expect(res.statusCode).toBe(201);
    const read = (await server.inject({ url: '/streams/actor-test', headers: auth('reader') })).json();
    expect(read.events.map((e: { metadata: unknown }) => e.metadata)).toEqual([
      { actor: 'will', correlationId: 'c-1' },
      { actor: 'will' },
    ]);
  });
});

describe('tokens', () => {
  it('parses token:actor:role entries separated by commas', () => {
    expect(parseTokens(' aaaaaaaaaaaaaaaa:ann:reader , bbbbbbbbbbbbbbbb:bob:admin')).toEqual([
      { token: 'aaaaaaaaaaaaaaaa', actor: 'ann', role: 'reader' },
      { token: 'bbbbbbbbbbbbbbbb', actor: 'bob', role: 'admin' },
    ]);
  });

  it('refuses bad entries, naming the entry but never the token', () => {
    const bad = [
      '',
      'aaaaaaaaaaaaaaaa:ann',
      'aaaaaaaaaaaaaaaa:ann:root',
      'short:ann:reader',
      `${'a'.repeat(16)}::reader`,
    ];
    for (const text of bad) {
      expect(() => parseTokens(text)).toThrow(/HINDSIGHT_TOKENS/);
    }
    expect(() => parseTokens('aaaaaaaaaaaaaaaa:ann:root')).not.toThrow(/aaaaaaaaaaaaaaaa/);
    expect(() => parseTokens('aaaaaaaaaaaaaaaa:a:reader,aaaaaaaaaaaaaaaa:b:admin')).toThrow(/repeats/);
  });

  it('makes an admin token once, keeps it with mode 0600, and reads it back after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-token-'));
    try {
      const first = loadOrCreateAdminToken(join(dir, 'data'));
      expect(first.created).toBe(true);
      expect(first.token).toMatchObject({ actor: 'admin', role: 'admin' });
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      const again = loadOrCreateAdminToken(join(dir, 'data'));
      expect(again).toMatchObject({ created: false, token: first.token });
      expect(readFileSync(first.file, 'utf8').trim()).toBe(first.token.token);
      writeFileSync(first.file, 'tiny');
      expect(() => loadOrCreateAdminToken(join(dir, 'data'))).toThrow(/delete it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
