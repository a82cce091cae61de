import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresEventStore, type PostgresEventStore } from '../../src/postgres/index.js';
import { buildServer, parseTokens } from '../../src/server/index.js';
import { databaseUrl, describePostgres, dropSchema, runSql, uniqueSchema } from '../support/postgres.js';
import { tokens } from './support.js';

describePostgres('the server and CLI on PostgreSQL', () => {
  const schema = uniqueSchema('server');
  const open = () => createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 4 });
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
    await dropSchema(schema);
  });

  const serve = (s: PostgresEventStore) =>
    buildServer({ store: s, tokens: parseTokens(`${tokens.writer}:will:writer`) });
  const headers = { authorization: `Bearer ${tokens.writer}`, 'idempotency-key': 'pg-key' };
  const body = { events: [{ type: 'Deposited', data: { amount: 5 } }] };

  it('keeps Idempotency-Keys in a table beside the events, across a restart', async () => {
    let app = await serve(store);
    const first = await app.inject({ method: 'POST', url: '/streams/acc', headers, payload: body });
    expect(first.statusCode).toBe(201);
    await app.close();
    await store.close();
    store = await open();
    app = await serve(store);
    const again = await app.inject({ method: 'POST', url: '/streams/acc', headers, payload: body });
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotency-replayed']).toBe('true');
    const other = await app.inject({ method: 'POST', url: '/streams/acc', headers, payload: { events: [] } });
    expect(other.statusCode).toBe(400);
    const reused = await app.inject({
      method: 'POST',
      url: '/streams/acc',
      headers,
      payload: { events: [{ type: 'Deposited', data: { amount: 6 } }] },
    });
    expect(reused.statusCode).toBe(422);
    const page = (await app.inject({ url: '/events', headers })).json();
    expect(page.events.map((e: { metadata: { actor: string } }) => e.metadata.actor)).toEqual(['will']);
    await app.close();
  });

  it('hindsight import fills an empty PostgreSQL store keeping positions and times, and export gives it back', async () => {
    const database = uniqueSchema('cli');
    await runSql(`CREATE DATABASE ${database}`);
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-pg-cli-'));
    try {
      const lines = [
        {
          position: 3,
          id: 'e-1',
          streamId: 'a',
          streamVersion: 1,
          type: 'A',
          schemaVersion: 1,
          data: { n: 1 },
          metadata: { actor: 'x' },
          recordedAt: '2025-01-01T00:00:00.000Z',
        },
        {
          position: 7,
          id: 'e-2',
          streamId: 'b',
          streamVersion: 1,
          type: 'B',
          schemaVersion: 2,
          data: [1],
          metadata: {},
          recordedAt: '2025-01-02T00:00:00.000Z',
        },
        {
          position: 8,
          id: 'e-3',
          streamId: 'a',
          streamVersion: 2,
          type: 'A',
          schemaVersion: 1,
          data: null,
          metadata: {},
          recordedAt: '2025-01-03T00:00:00.000Z',
        },
      ].map((l) => JSON.stringify(l));
      const file = join(dir, 'in.ndjson');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const url = new URL(databaseUrl);
      url.pathname = `/${database}`;
      const cli = (...args: string[]) =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
          cwd: new URL('../..', import.meta.url).pathname,
          env: { ...process.env, HINDSIGHT_DATABASE_URL: url.toString(), HINDSIGHT_DATA: dir },
        });
      expect((await cli('import', file)).stdout).toMatch(
        /imported 3 events in 2 streams \(up to position 8\)/,
      );
      expect((await cli('export')).stdout).toBe(`${lines.join('\n')}\n`);
      expect(JSON.parse((await cli('append', 'a', 'A', '1')).stdout)).toEqual({
        streamId: 'a',
        streamVersion: 3,
        position: 9,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await runSql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });
});
