// Sagas on PostgreSQL: the order workflow's promises hold there too, and when two processes share a schema
// one runs each kind of saga at a time; when its owner dies, the other takes over and finishes every saga.
import { createSagaRunner, defineSaga, type SagaDefinition } from 'hindsight';
import { createPostgresEventStore, type PostgresEventStore, postgresOwnership } from 'hindsight/postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  auditOrders,
  createOrderWorkflow,
  type OrderWorkflow,
  seededRandom,
} from '../../src/domains/orders/index.js';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from '../support/postgres.js';

describePostgres('sagas on PostgreSQL', () => {
  const schema = uniqueSchema('sagas');
  let a: PostgresEventStore;
  let b: PostgresEventStore;
  let c: PostgresEventStore;
  beforeAll(async () => {
    a = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 6 });
    b = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 6 });
    c = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 4 });
  });
  afterAll(async () => {
    await a.close().catch(() => {});
    await b.close();
    await c.close();
    await dropSchema(schema);
  });

  const shopOn = (store: PostgresEventStore, seed: number): OrderWorkflow => {
    const random = seededRandom(seed);
    const faults = { failBefore: 0.2, failAfter: 0.15, latencyMs: 5, random };
    return createOrderWorkflow(store, {
      payments: { ...faults, declineRate: 0.2 },
      shipping: { failBefore: 0.3, random },
      notifications: faults,
      maxAttempts: 3,
      maxRetryDelayMs: 20,
      runner: {
        ownership: postgresOwnership(store, { retryMs: 100, heartbeatMs: 500 }),
        pollIntervalMs: 50,
        checkpointEveryMs: 100,
        onError: () => {},
      },
    });
  };

  it('a saga started in a process that does not own its kind is found and run by the owner', async () => {
    const ran: string[] = [];
    const greet = defineSaga<{ name: string }>({
      name: 'greet',
      steps: [{ name: 'say', action: async (c) => void ran.push(`${c.input.name} by ${c.metadata.actor}`) }],
    });
    const runnerOn = (store: PostgresEventStore) =>
      createSagaRunner(store, [greet as SagaDefinition<unknown>], {
        ownership: postgresOwnership(store, { retryMs: 100, heartbeatMs: 500 }),
        pollIntervalMs: 50,
      });
    const owner = runnerOn(b);
    await owner.start();
    await new Promise((r) => setTimeout(r, 300));
    const other = runnerOn(c);
    await other.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(other.status()[0]?.state).toBe('standby');
    const started = await other.startSaga(greet, 'g1', { name: 'ada' }, { actor: 'bo' });
    expect(started.created).toBe(true);
    const done = await other.waitFor('greet', 'g1', { timeoutMs: 10_000 });
    expect(done.status).toBe('completed');
    expect(ran).toEqual(['ada by bo']);
    expect(owner.status()[0]?.state).toBe('running');
    await other.stop();
    await owner.stop();
  });

  it('one process runs the sagas; when it dies mid-way the other takes over and every saga ends cleanly', async () => {
    const first = shopOn(a, 1);
    await first.start();
    await first.addStock('apple', 500);
    await first.addStock('pear', 50);
    await new Promise((r) => setTimeout(r, 300)); // the first takes the leases
    const second = shopOn(b, 2);
    await second.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(first.runner.status().map((s) => s.state)).toEqual(['running', 'running', 'running']);
    expect(second.runner.status().map((s) => s.state)).toEqual(['standby', 'standby', 'standby']);

    const ids = Array.from({ length: 40 }, (_, i) => `o${i}`);
    await Promise.all(
      ids.map((id, i) =>
        second.placeOrder(id, {
          customer: `c${i}`,
          lines: [
            { sku: 'apple', quantity: 1 + (i % 3), unitPrice: 199 },
            ...(i % 3 === 0 ? [{ sku: 'pear', quantity: 1, unitPrice: 50 }] : []),
          ],
        }),
      ),
    );
    // The owner's store closes with sagas in flight. Its leases live on connections of their own, so what hands
    // the sagas over is its runner letting them go once it can do nothing more.
    await new Promise((r) => setTimeout(r, 150));
    await a.close();
    const diedAt = Date.now();
    const states = await Promise.all(
      ids.map((id) => second.runner.waitFor('fulfilment', id, { timeoutMs: 60_000 })),
    );
    expect(second.runner.status().find((s) => s.saga === 'fulfilment')?.state).toBe('running');
    expect(Date.now() - diedAt).toBeLessThan(60_000);
    expect(states.every((s) => s.status === 'completed' || s.status === 'compensated')).toBe(true);
    const audit = await auditOrders(b);
    expect(audit.violations).toEqual([]);
    expect(audit.orders).toBe(40);
    await first.stop();
    await second.stop();
  }, 120_000);
});
