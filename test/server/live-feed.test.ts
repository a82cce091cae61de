import { get as httpGet, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventStore } from 'hindsight';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { append, auth, problem, type TestServer, testServer, tokens } from './support.js';

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A server-sent events client on a real socket: collects frames until closed. */
function connect(port: number, path: string, headers: Record<string, string> = {}) {
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let response: IncomingMessage | undefined;
  const request = httpGet(
    { host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${tokens.reader}`, ...headers } },
    (res) => {
      response = res;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame: Frame = {};
          for (const line of buffer.slice(0, end).split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon) as keyof Frame;
              frame[field] = line.slice(colon + 1).trimStart();
            }
          }
          frames.push(frame);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        for (const w of waiters) w();
      });
    },
  );
  request.on('error', () => {});
  const events = () =>
    frames
      .filter((f) => f.data !== undefined && f.event === undefined)
      .map((f) => JSON.parse(f.data as string));
  return {
    frames,
    events,
    get status() {
      return response?.statusCode;
    },
    get headers() {
      return response?.headers;
    },
    async until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out; frames so far: ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, 50);
          waiters.add(done);
        });
      }
    },
    close() {
      request.destroy();
    },
  };
}

/** Counts the store's live wake-up listeners: one per open feed. */
function counted(store: EventStore) {
  const state = { listeners: 0 };
  const wrapped: EventStore = {
    appendToStream: (...a) => store.appendToStream(...a),
    appendToStreams: (...a) => store.appendToStreams(...a),
    readStream: (...a) => store.readStream(...a),
    readAll: (...a) => store.readAll(...a),
    headPosition: () => store.headPosition(),
    readEvent: (id) => store.readEvent(id),
    streamVersion: (id) => store.streamVersion(id),
    onAppend(listener) {
      state.listeners++;
      const stop = store.onAppend(listener);
      return () => {
        state.listeners--;
        stop();
      };
    },
    close: () => store.close(),
  };
  return { wrapped, state };
}

let server: TestServer;
let port: number;
beforeEach(async () => {
  server = await testServer({ liveFeed: { heartbeatMs: 100, pollIntervalMs: 20 } });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  port = (server.app.server.address() as AddressInfo).port;
});
afterEach(() => server.close());

const deposit = (n: number) => ({ type: 'Deposited', data: { n } });

describe('GET /events/live', () => {
  it('catches up, follows live appends, and resumes after Last-Event-ID without gaps or repeats', async () => {
    for (let n = 1; n <= 3; n++) await append(server, `acc-${n % 2}`, [deposit(n)]);
    const first = connect(port, '/events/live?from=1');
    await first.until(() => first.events().length === 3);
    expect(first.status).toBe(200);
    expect(first.headers?.['content-type']).toBe('text/event-stream; charset=utf-8');
    for (let n = 4; n <= 6; n++) await append(server, `acc-${n % 2}`, [deposit(n)]);
    await first.until(() => first.events().length === 6);
    const ids = first.frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(first.events().map((e) => e.position)).toEqual(ids);
    expect(first.events()[0]).toMatchObject({ streamId: 'acc-1', type: 'Deposited', data: { n: 1 } });
    first.close();

    // Appends go on while the client is away and while it reconnects.
    const writing = (async () => {
      for (let n = 7; n <= 30; n++) await append(server, `acc-${n % 2}`, [deposit(n)]);
    })();
    await new Promise((r) => setTimeout(r, 5));
    const second = connect(port, '/events/live', { 'last-event-id': '6' });
    await writing;
    await second.until(() => second.events().length === 24);
    expect(second.events().map((e) => e.data.n)).toEqual(Array.from({ length: 24 }, (_, i) => i + 7));
    second.close();
  });

  it('without from or Last-Event-ID sends only what is appended after it opens', async () => {
    await append(server, 'old', [deposit(1)]);
    const client = connect(port, '/events/live');
    await client.until(() => client.frames.length > 0);
    await append(server, 'new', [deposit(2)]);
    await client.until(() => client.events().length === 1);
    expect(client.events()[0]).toMatchObject({ streamId: 'new', position: 2 });
    client.close();
  });

  it('filters by stream prefix and type, and sends heartbeats', async () => {
    const client = connect(port, '/events/live?from=1&streamPrefix=acc-&type=Deposited');
    await append(server, 'order-1', [deposit(1)]);
    await append(server, 'acc-1', [{ type: 'Withdrawn', data: { n: 2 } }]);
    await append(server, 'acc-1', [deposit(3)]);
    await client.until(() => client.events().length === 1);
    expect(client.events()[0]).toMatchObject({ streamId: 'acc-1', position: 3, data: { n: 3 } });
    await client.until(() => client.frames.some((f) => f.comment === 'heartbeat'));
    client.close();
  });

  it('refuses a bad Last-Event-ID and a missing token before streaming', async () => {
    problem(
      await server.inject({ url: '/events/live', headers: { ...auth('reader'), 'last-event-id': 'x' } }),
      400,
      'InvalidInput',
    );
    problem(await server.inject({ url: '/events/live' }), 401, 'Unauthorized');
  });
});

describe('live feed lifecycle', () => {
  it('lets go of a feed when its client disconnects, and closing the server ends open feeds', async () => {
    const { buildServer, parseTokens } = await import('../../src/server/index.js');
    const { wrapped, state } = counted(server.store);
    const app = await buildServer({
      store: wrapped,
      tokens: parseTokens(`${tokens.reader}:rita:reader`),
      liveFeed: { pollIntervalMs: 20 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const livePort = (app.server.address() as AddressInfo).port;
    const a = connect(livePort, '/events/live');
    const b = connect(livePort, '/events/live');
    await a.until(() => a.frames.length > 0);
    await b.until(() => b.frames.length > 0);
    expect(state.listeners).toBe(2);
    a.close();
    const deadline = Date.now() + 5000;
    while (state.listeners !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(state.listeners).toBe(1);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(state.listeners).toBe(0);
  });
});
