import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type EventStore, sagaHistory, sagaStory } from 'hindsight';
import { createSqliteEventStore } from 'hindsight/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditOrders,
  createOrderWorkflow,
  type OrderWorkflow,
  type OrderWorkflowOptions,
  seededRandom,
} from '../../src/domains/orders/index.js';

const apple = { sku: 'apple', quantity: 2, unitPrice: 150 };
const pear = { sku: 'pear', quantity: 1, unitPrice: 99 };

async function statusOf(store: EventStore, orderId: string): Promise<string> {
  let status = 'none';
  for await (const e of store.readStream(`order-${orderId}`)) status = e.type;
  return status;
}

describe('order workflow (SQLite)', () => {
  let dir: string;
  let store: EventStore;
  let shops: OrderWorkflow[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hindsight-orders-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), durability: 'normal' });
    shops = [];
  });
  afterEach(async () => {
    for (const shop of shops) await shop.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (options: OrderWorkflowOptions = {}, on: EventStore = store) => {
    const shop = createOrderWorkflow(on, {
      ...options,
      runner: { pollIntervalMs: 10, checkpointEveryMs: 0, ...options.runner },
    });
    shops.push(shop);
    await shop.start();
    await shop.addStock('apple', 10);
    await shop.addStock('pear', 1);
    return shop;
  };

  it('fulfils an order: reserves, charges, ships, notifies and confirms, and its saga tells the story', async () => {
    const shop = await open();
    await shop.placeOrder('o1', { customer: 'ada', lines: [apple, pear] }, { actor: 'ada' });
    const saga = await shop.runner.waitFor('fulfilment', 'o1');
    expect(saga.status).toBe('completed');
    expect(saga.steps.map((s) => s.name)).toEqual([
      'accept',
      'reserve',
      'charge',
      'ship',
      'notify',
      'confirm',
    ]);
    expect(await statusOf(store, 'o1')).toBe('OrderConfirmed');
    const audit = await auditOrders(store);
    expect(audit).toMatchObject({ orders: 1, charged: 399, refunded: 0, violations: [] });
    const story = sagaStory(await sagaHistory(store, 'fulfilment', 'o1'));
    expect(story[0]).toMatch(
      / ada: started fulfilment o1: fulfil order o1 of ada: 2 line\(s\), total 399 \(steps: /,
    );
    // The provider's book shows the charge was caused by the saga's charge step, under the order's correlation.
    const [charge] = await collect(store.readStream('payment-o1'));
    expect(charge?.metadata).toMatchObject({
      actor: 'ada',
      saga: 'fulfilment',
      sagaId: 'o1',
      step: 'charge',
    });
    const placed = await collect(store.readStream('order-o1'));
    expect(charge?.metadata.correlationId).toBe(placed[0]?.metadata.correlationId);
  });

  it('releases the reservation when the card is declined, and cancels the order', async () => {
    const shop = await open({ payments: { declineRate: 1 } });
    await shop.placeOrder('o1', { customer: 'bo', lines: [apple] });
    const saga = await shop.runner.waitFor('fulfilment', 'o1');
    expect(saga.status).toBe('compensated');
    expect(saga.compensation).toMatchObject({ reason: 'step_failed', step: 'charge' });
    expect(saga.steps.find((s) => s.name === 'charge')?.attempts).toBe(1); // a decline is not retried
    expect(await statusOf(store, 'o1')).toBe('OrderCancelled');
    expect((await auditOrders(store)).violations).toEqual([]);
    const story = sagaStory(await sagaHistory(store, 'fulfilment', 'o1')).join('\n');
    expect(story).toContain(
      'turning back because step charge failed (PaymentDeclined: card declined for 300)',
    );
    expect(story).toMatch(/undoing step reserve: try 1 succeeded\n.*undoing step accept: try 1 began/);
  });

  it('refunds the charge and releases the stock when shipping fails', async () => {
    const shop = await open({ shipping: { failBefore: 1 }, maxAttempts: 2 });
    await shop.placeOrder('o1', { customer: 'cy', lines: [apple, pear] });
    const saga = await shop.runner.waitFor('fulfilment', 'o1');
    expect(saga.status).toBe('compensated');
    const audit = await auditOrders(store);
    expect(audit).toMatchObject({ charged: 399, refunded: 399, violations: [] });
  });

  it('refuses an order for more than is in stock, holding nothing back', async () => {
    const shop = await open();
    await shop.placeOrder('o1', { customer: 'di', lines: [apple, { ...pear, quantity: 5 }] });
    const saga = await shop.runner.waitFor('fulfilment', 'o1');
    expect(saga.status).toBe('compensated');
    expect(saga.compensation?.error).toMatch(/^OutOfStock/);
    expect(await auditOrders(store)).toMatchObject({ charged: 0, violations: [] });
  });

  it('cancels an order in flight, and refuses to cancel one that has shipped', async () => {
    const shop = await open({ payments: { latencyMs: 200 } });
    await shop.placeOrder('o1', { customer: 'ed', lines: [apple] });
    await waitUntil(async () => (await shop.runner.get('fulfilment', 'o1')).steps[2]?.status === 'running');
    await shop.cancelOrder('o1', { actor: 'ed', reason: 'found it cheaper' });
    const saga = await shop.runner.waitFor('fulfilment', 'o1');
    expect(saga.status).toBe('compensated');
    expect(saga.compensation?.reason).toBe('cancelled');
    expect(await statusOf(store, 'o1')).toBe('OrderCancelled');
    await shop.placeOrder('o2', { customer: 'ed', lines: [apple] });
    await shop.runner.waitFor('fulfilment', 'o2');
    await expect(shop.cancelOrder('o2', { actor: 'ed', reason: 'late' })).rejects.toMatchObject({
      code: 'OrderNotCancellable',
    });
    expect((await auditOrders(store)).violations).toEqual([]);
  });

  it('refunds a delivered order, and takes a returned one back into stock', async () => {
    const shop = await open();
    await shop.placeOrder('o1', { customer: 'fy', lines: [apple] });
    await shop.placeOrder('o2', { customer: 'fy', lines: [apple, pear] });
    await shop.runner.waitFor('fulfilment', 'o1');
    await shop.runner.waitFor('fulfilment', 'o2');
    await shop.requestRefund('o1', 'arrived bruised', { actor: 'fy' });
    await shop.requestReturn('o2', 'wrong size', { actor: 'fy' });
    expect((await shop.runner.waitFor('refund', 'o1')).status).toBe('completed');
    expect((await shop.runner.waitFor('return', 'o2')).status).toBe('completed');
    expect(await statusOf(store, 'o1')).toBe('OrderRefunded');
    const audit = await auditOrders(store);
    expect(audit).toMatchObject({ charged: 699, refunded: 699, violations: [] });
    // The returned pear is back on the shelf: another order for it goes through.
    await shop.placeOrder('o3', { customer: 'gu', lines: [pear] });
    expect((await shop.runner.waitFor('fulfilment', 'o3')).status).toBe('completed');
    await expect(shop.requestRefund('o1', 'again')).rejects.toMatchObject({ code: 'OrderNotRefundable' });
  });

  it('keeps every promise under random failure schedules (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer(),
          failBefore: fc.double({ min: 0, max: 0.5, noNaN: true }),
          failAfter: fc.double({ min: 0, max: 0.5, noNaN: true }),
          declineRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          shipFail: fc.double({ min: 0, max: 0.6, noNaN: true }),
          orders: fc.array(
            fc.record({ apples: fc.integer({ min: 1, max: 4 }), pears: fc.integer({ min: 0, max: 1 }) }),
            { minLength: 1, maxLength: 8 },
          ),
          afterSale: fc.array(fc.constantFrom('none', 'refund', 'return', 'cancel'), {
            minLength: 8,
            maxLength: 8,
          }),
        }),
        async (schedule) => {
          const scratch = createSqliteEventStore({ file: ':memory:' });
          const random = seededRandom(schedule.seed);
          const faults = { failBefore: schedule.failBefore, failAfter: schedule.failAfter, random };
          const shop = createOrderWorkflow(scratch, {
            payments: { ...faults, declineRate: schedule.declineRate },
            shipping: { failBefore: schedule.shipFail, failAfter: schedule.failAfter / 2, random },
            notifications: faults,
            maxAttempts: 3,
            maxRetryDelayMs: 20,
            runner: { pollIntervalMs: 5, checkpointEveryMs: 0 },
          });
          try {
            await shop.start();
            await shop.addStock('apple', 12);
            await shop.addStock('pear', 3);
            const ids = schedule.orders.map((_, i) => `o${i}`);
            await Promise.all(
              schedule.orders.map((o, i) =>
                shop.placeOrder(`o${i}`, {
                  customer: `c${i}`,
                  lines: [
                    { sku: 'apple', quantity: o.apples, unitPrice: 120 },
                    ...(o.pears > 0 ? [{ sku: 'pear', quantity: o.pears, unitPrice: 75 }] : []),
                  ],
                }),
              ),
            );
            // With failure rates this high a compensation may run out of tries: the saga is then stuck, visibly,
            // and the operator retries it (as `POST /sagas/{name}/{id}/retry` would) until it ends.
            let operatorRetries = 0;
            const finish = async (saga: 'fulfilment' | 'refund' | 'return', id: string) => {
              for (;;) {
                const state = await shop.runner.waitFor(saga, id, { timeoutMs: 10_000 });
                if (state.status !== 'stuck') return state;
                expect(state.stuck?.error).toMatch(/^ProviderUnavailable/);
                operatorRetries++;
                await shop.runner.retry(saga, id, { actor: 'ops', reason: 'the provider is back' });
              }
            };
            await Promise.all(
              ids.map(async (id, i) => {
                if (schedule.afterSale[i] === 'cancel') {
                  await shop.cancelOrder(id, { actor: 'c', reason: 'changed my mind' }).catch(() => {});
                }
                const saga = await finish('fulfilment', id);
                if (saga.status !== 'completed') return;
                if (schedule.afterSale[i] === 'refund') {
                  await shop.requestRefund(id, 'unwanted');
                  await finish('refund', id);
                } else if (schedule.afterSale[i] === 'return') {
                  await shop.requestReturn(id, 'unwanted');
                  await finish('return', id);
                }
              }),
            );
            expect(operatorRetries).toBeLessThan(100);
            const audit = await auditOrders(scratch);
            expect(audit.violations).toEqual([]);
            expect(audit.outcomes.stuck ?? 0).toBe(0);
          } finally {
            await shop.stop();
            await scratch.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
