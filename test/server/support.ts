import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createSqliteEventStore, type SqliteEventStore } from 'hindsight/sqlite';
import { buildServer, parseTokens, type ServerOptions } from '../../src/server/index.js';

export const tokens = {
  reader: 'reader-token-0123456789',
  writer: 'writer-token-0123456789',
  admin: 'admin-token-0123456789',
};

export const auth = (role: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[role]}` });

/** A server on a fresh SQLite file, with a reader (rita), a writer (will) and an admin (ada). */
export async function testServer(options: Partial<ServerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-server-'));
  const file = join(dir, 'events.sqlite');
  let store: SqliteEventStore = createSqliteEventStore({ file, durability: 'normal' });
  const make = (s: SqliteEventStore) =>
    buildServer({
      store: s,
      tokens: parseTokens(
        `${tokens.reader}:rita:reader,${tokens.writer}:will:writer,${tokens.admin}:ada:admin`,
      ),
      ...options,
    });
  let app: FastifyInstance = await make(store);
  return {
    dir,
    get store() {
      return store;
    },
    get app() {
      return app;
    },
    inject: (o: InjectOptions): Promise<LightMyRequestResponse> => app.inject(o),
    /** Closes the server and the store, and opens both again on the same file (a restart). */
    async restart() {
      await app.close();
      await store.close();
      store = createSqliteEventStore({ file, durability: 'normal' });
      app = await make(store);
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TestServer = Awaited<ReturnType<typeof testServer>>;

/** Appends raw events through the API as the writer. */
export async function append(
  server: TestServer,
  streamId: string,
  events: unknown[],
  headers: Record<string, string> = {},
) {
  return server.inject({
    method: 'POST',
    url: `/streams/${encodeURIComponent(streamId)}`,
    headers: { ...auth('writer'), ...headers },
    payload: { events },
  });
}

/** Checks a response is a problem document with this status and code, and returns it. */
export function problem(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  const body = res.json() as Record<string, unknown>;
  const shape = { status: res.statusCode, type: res.headers['content-type'], code: body.code };
  const want = { status, type: 'application/problem+json; charset=utf-8', code };
  if (JSON.stringify(shape) !== JSON.stringify(want)) {
    throw new Error(`expected ${JSON.stringify(want)}, got ${JSON.stringify(shape)}: ${res.body}`);
  }
  for (const field of ['type', 'title', 'detail', 'status', 'code']) {
    if (!(field in body)) throw new Error(`problem without ${field}: ${res.body}`);
  }
  if (body.status !== status) throw new Error(`problem status ${String(body.status)} != ${status}`);
  return body;
}
