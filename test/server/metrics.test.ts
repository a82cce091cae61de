import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProjectionRunner, memoryProjection, type ProjectionRunner } from 'hindsight';
import { createSqliteEventStore, type SqliteEventStore } from 'hindsight/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, parseTokens } from '../../src/server/index.js';
import { tokens } from './support.js';

const counts = memoryProjection({
  name: 'counts',
  version: 1,
  initialState: () => new Map<string, number>(),
  evolve: (m, e) => m.set(e.type, (m.get(e.type) ?? 0) + 1),
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus's text format into samples (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

let dir: string;
let store: SqliteEventStore;
let runner: ProjectionRunner;
let app: Awaited<ReturnType<typeof buildServer>>;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-metrics-'));
  store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
  // Not started yet: the projection's lag is the whole log until it runs.
  runner = createProjectionRunner(store, [counts], { pollIntervalMs: 10 });
  app = await buildServer({
    store,
    runner,
    tokens: parseTokens(`${tokens.reader}:rita:reader,${tokens.writer}:will:writer`),
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await runner.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const as = (role: 'reader' | 'writer') => ({ authorization: `Bearer ${tokens[role]}` });

async function appendOverHttp(streamId: string, body: unknown) {
  return fetch(`${base}/streams/${streamId}`, {
    method: 'POST',
    headers: { ...as('writer'), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`, { headers: as('reader') });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

describe('GET /metrics', () => {
  it('needs a token (reader or above)', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status,
    ).toBe(401);
  });

  it('counts appends, commands and requests, with their latency, by store, route and outcome', async () => {
    for (const i of [1, 2, 3]) {
      const res = await appendOverHttp('m-1', { events: [{ type: 'Tick', data: { i } }] });
      expect(res.status).toBe(201);
    }
    const stale = await appendOverHttp('m-1', { events: [{ type: 'Tick', data: {} }], expectedVersion: 1 });
    expect(stale.status).toBe(409);
    const invalid = await appendOverHttp('m-1', { events: 'nope' });
    expect(invalid.status).toBe(400);
    expect((await fetch(`${base}/streams/m-1`, { headers: as('reader') })).status).toBe(200);
    expect((await fetch(`${base}/no/such/route`, { headers: as('reader') })).status).toBe(404);

    const samples = await scrape();
    const append = { store: 'sqlite', operation: 'appendToStream' };
    expect(value(samples, 'hindsight_append_duration_seconds_count', { ...append, outcome: 'ok' })).toBe(3);
    expect(
      value(samples, 'hindsight_append_duration_seconds_count', {
        ...append,
        outcome: 'WrongExpectedVersion',
      }),
    ).toBe(1);
    const okSum = value(samples, 'hindsight_append_duration_seconds_sum', { ...append, outcome: 'ok' }) ?? 0;
    expect(okSum).toBeGreaterThan(0);
    expect(okSum).toBeLessThan(5);
    // Every observation lands in the +Inf bucket, and the buckets are cumulative.
    expect(
      value(samples, 'hindsight_append_duration_seconds_bucket', { ...append, outcome: 'ok', le: '+Inf' }),
    ).toBe(3);

    const command = { method: 'POST', route: '/streams/:streamId' };
    expect(value(samples, 'hindsight_command_duration_seconds_count', { ...command, outcome: 'ok' })).toBe(3);
    expect(
      value(samples, 'hindsight_command_duration_seconds_count', {
        ...command,
        outcome: 'WrongExpectedVersion',
      }),
    ).toBe(1);
    expect(
      value(samples, 'hindsight_command_duration_seconds_count', { ...command, outcome: 'InvalidInput' }),
    ).toBe(1);
    // Reads are counted, not timed as commands.
    expect(
      value(samples, 'hindsight_command_duration_seconds_count', {
        method: 'GET',
        route: '/streams/:streamId',
      }),
    ).toBeUndefined();

    const requests = 'hindsight_http_requests_total';
    expect(value(samples, requests, { ...command, status: '201' })).toBe(3);
    expect(value(samples, requests, { ...command, status: '409' })).toBe(1);
    expect(value(samples, requests, { ...command, status: '400' })).toBe(1);
    expect(value(samples, requests, { method: 'GET', route: '/streams/:streamId', status: '200' })).toBe(1);
    // Unknown paths share one label, so a scanner cannot blow up the number of series.
    expect(value(samples, requests, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(value(samples, requests, { method: 'GET', route: '/metrics', status: '401' })).toBe(2);
  });

  it('reports each projection’s position and lag, read from the runner when scraped', async () => {
    // Past the one-scrape cache of the runner's status (250 ms): the last test's scrape may still be in it.
    await new Promise((r) => setTimeout(r, 300));
    const before = await scrape();
    const head = value(before, 'hindsight_log_head_position') as number;
    expect(head).toBe(3);
    expect(value(before, 'hindsight_projection_position', { projection: 'counts' })).toBe(0);
    expect(value(before, 'hindsight_projection_lag_positions', { projection: 'counts' })).toBe(head);
    // The oldest unapplied event was recorded at least 20 ms ago.
    expect(
      value(before, 'hindsight_projection_lag_seconds', { projection: 'counts' }),
    ).toBeGreaterThanOrEqual(0.02);
    expect(value(before, 'hindsight_projection_state', { projection: 'counts', state: 'stopped' })).toBe(1);
    expect(value(before, 'hindsight_projection_state', { projection: 'counts', state: 'live' })).toBe(0);

    await runner.start();
    await runner.waitFor('counts', head);
    await new Promise((r) => setTimeout(r, 300)); // past the one-scrape cache of the runner's status
    const after = await scrape();
    expect(value(after, 'hindsight_projection_position', { projection: 'counts' })).toBe(head);
    expect(value(after, 'hindsight_projection_lag_positions', { projection: 'counts' })).toBe(0);
    expect(value(after, 'hindsight_projection_lag_seconds', { projection: 'counts' })).toBe(0);
    expect(value(after, 'hindsight_projection_state', { projection: 'counts', state: 'stopped' })).toBe(0);
  });

  it('counts open live feeds', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/events/live`, { headers: as('reader'), signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the opening comment: the feed is registered
    expect(value(await scrape(), 'hindsight_live_feed_clients')).toBe(1);
    controller.abort();
    await reader.cancel().catch(() => {});
    const deadline = Date.now() + 5000;
    while (value(await scrape(), 'hindsight_live_feed_clients') !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(value(await scrape(), 'hindsight_live_feed_clients')).toBe(0);
  });

  it('is off with metrics: false', async () => {
    const quiet = await buildServer({
      store,
      tokens: parseTokens(`${tokens.reader}:rita:reader`),
      metrics: false,
    });
    const res = await quiet.inject({ url: '/metrics', headers: as('reader') });
    expect(res.statusCode).toBe(404);
    await quiet.close();
  });
});
