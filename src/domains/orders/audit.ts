import { type EventStore, evolveSaga, initialSagaState, type SagaState } from 'hindsight';
import { type InventoryEvent, type InventoryState, inventory } from './inventory.js';
import { type OrderEvent, type OrderState, order } from './order.js';

/** What an audit of the whole log found: the totals, and every broken promise (none, when all is well). */
export interface OrderAudit {
  orders: number;
  /** Fulfilment sagas by how they ended (`running` and `stuck` when not ended). */
  outcomes: Record<string, number>;
  /** Money taken and given back by the payment provider, in minor units. */
  charged: number;
  refunded: number;
  violations: string[];
}

/**
 * Reads the whole log and checks the workflow's promises: every saga ended, completed orders were charged once
 * and shipped, undone ones were refunded in full and their stock released, no provider did anything twice,
 * and no stock or money was created or lost.
 */
export async function auditOrders(store: EventStore): Promise<OrderAudit> {
  const orders = new Map<string, OrderState>();
  const sagas = new Map<string, SagaState>();
  const stock = new Map<string, { state: InventoryState; added: number }>();
  const payments = new Map<string, { charges: number; refunds: number; charged: number; refunded: number }>();
  const shipments = new Map<string, string[]>();
  const violations: string[] = [];

  for await (const event of store.readAll()) {
    const [kind] = event.streamId.split('-', 1);
    const id = event.streamId.slice((kind?.length ?? 0) + 1);
    if (event.streamId.startsWith('saga:')) {
      sagas.set(event.streamId, evolveSaga(sagas.get(event.streamId) ?? initialSagaState(), event));
    } else if (kind === 'order') {
      orders.set(id, order.evolve(orders.get(id) ?? order.initialState(), event as unknown as OrderEvent));
    } else if (kind === 'sku') {
      const entry = stock.get(id) ?? { state: inventory.initialState(), added: 0 };
      entry.state = inventory.evolve(entry.state, event as unknown as InventoryEvent);
      if (event.type === 'StockAdded') entry.added += (event.data as { quantity: number }).quantity;
      if (entry.state.available < 0)
        violations.push(`sku ${id}: available went below 0 at ${event.position}`);
      stock.set(id, entry);
    } else if (kind === 'payment') {
      const entry = payments.get(id) ?? { charges: 0, refunds: 0, charged: 0, refunded: 0 };
      const amount = (event.data as { amount: number }).amount;
      if (event.type === 'PaymentCharged') {
        entry.charges++;
        entry.charged += amount;
      } else {
        entry.refunds++;
        entry.refunded += amount;
      }
      payments.set(id, entry);
    } else if (kind === 'shipment') {
      shipments.set(id, [...(shipments.get(id) ?? []), event.type]);
    }
  }

  const outcomes: Record<string, number> = {};
  for (const [orderId, state] of orders) {
    const saga = sagas.get(`saga:fulfilment:${orderId}`);
    const outcome = saga?.status ?? 'not started';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const pay = payments.get(orderId) ?? { charges: 0, refunds: 0, charged: 0, refunded: 0 };
    const net = pay.charged - pay.refunded;
    const shipped = shipments.get(orderId) ?? [];
    const afterSale = [sagas.get(`saga:refund:${orderId}`), sagas.get(`saga:return:${orderId}`)].find(
      Boolean,
    );
    const say = (what: string) => violations.push(`order ${orderId} (${outcome}, ${state.status}): ${what}`);
    if (pay.charges > 1) say(`charged ${pay.charges} times`);
    if (pay.refunds > 1) say(`refunded ${pay.refunds} times`);
    if (shipped.filter((t) => t === 'ShipmentDispatched').length > 1) say('shipped twice');
    if (outcome !== 'completed' && outcome !== 'compensated' && outcome !== 'failed')
      say('its saga did not end');
    if (outcome === 'completed') {
      if (pay.charged !== state.total) say(`charged ${pay.charged}, total ${state.total}`);
      if (!shipped.includes('ShipmentDispatched') || shipped.includes('ShipmentRecalled')) say('not shipped');
      for (const line of state.lines) {
        const dispatched = stock.get(line.sku)?.state.dispatched[orderId];
        const returned = state.status === 'returned';
        if (!returned && dispatched !== line.quantity)
          say(`${line.sku}: ${dispatched ?? 0} dispatched, ${line.quantity} ordered`);
      }
      if (afterSale) {
        if (afterSale.status !== 'completed') say(`its ${afterSale.saga} saga is ${afterSale.status}`);
        else if (net !== 0) say(`refunded but ${net} still charged`);
      } else if (state.status !== 'confirmed') say('completed but not confirmed');
    } else if (outcome === 'compensated' || outcome === 'failed') {
      if (net !== 0) say(`undone but ${net} still charged`);
      if (state.status !== 'cancelled') say('undone but not cancelled');
      if (shipped.includes('ShipmentDispatched') && !shipped.includes('ShipmentRecalled'))
        say('undone but shipped');
      for (const line of state.lines) {
        const held = stock.get(line.sku)?.state.reserved[orderId];
        if (held !== undefined) say(`${line.sku}: ${held} still reserved`);
      }
    }
  }
  for (const [sku, { state, added }] of stock) {
    const held = Object.values(state.reserved).reduce((a, b) => a + b, 0);
    const out = Object.values(state.dispatched).reduce((a, b) => a + b, 0);
    if (state.available + held + out !== added) {
      violations.push(
        `sku ${sku}: ${added} added but ${state.available} available + ${held} held + ${out} out`,
      );
    }
  }
  let charged = 0;
  let refunded = 0;
  for (const p of payments.values()) {
    charged += p.charged;
    refunded += p.refunded;
  }
  let owed = 0;
  for (const state of orders.values()) if (state.status === 'confirmed') owed += state.total;
  if (charged - refunded !== owed) {
    violations.push(
      `money: ${charged} charged − ${refunded} refunded ≠ ${owed}, the total of confirmed orders`,
    );
  }
  return { orders: orders.size, outcomes, charged, refunded, violations };
}
