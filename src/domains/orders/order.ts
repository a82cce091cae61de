import type { Decider, Message } from 'hindsight';

/** Why an order refused a command. */
export class OrderError extends Error {
  constructor(
    readonly code:
      | 'OrderExists'
      | 'OrderNotFound'
      | 'InvalidOrder'
      | 'OrderNotRefundable'
      | 'OrderNotCancellable',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** One line of an order: a product, how many, and the price of one in integer minor units. */
export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export type OrderCommand =
  | Message<'PlaceOrder', { customer: string; lines: OrderLine[] }>
  | Message<'StartFulfilment', Record<string, never>>
  | Message<'CancelOrder', { reason: string }>
  | Message<'ConfirmOrder', Record<string, never>>
  | Message<'RequestRefund', { reason: string }>
  | Message<'RequestReturn', { reason: string }>
  | Message<'CloseRefund', { kind: 'refund' | 'return' }>;

export type OrderEvent =
  | Message<'OrderPlaced', { customer: string; lines: OrderLine[]; total: number }>
  | Message<'OrderFulfilmentStarted', Record<string, never>>
  | Message<'OrderCancelled', { reason: string }>
  | Message<'OrderConfirmed', Record<string, never>>
  | Message<'OrderRefundRequested', { reason: string }>
  | Message<'OrderReturnRequested', { reason: string; lines: OrderLine[] }>
  | Message<'OrderRefunded', { kind: 'refund' | 'return' }>;

export type OrderStatus =
  | 'none'
  | 'placed'
  | 'fulfilling'
  | 'cancelled'
  | 'confirmed'
  | 'refund_requested'
  | 'return_requested'
  | 'refunded'
  | 'returned';

export interface OrderState {
  status: OrderStatus;
  customer: string;
  lines: OrderLine[];
  /** Integer minor units. */
  total: number;
}

const maxTotal = 1_000_000_000_000;

function checkLines(lines: readonly OrderLine[]): number {
  if (lines.length === 0) throw new OrderError('InvalidOrder', 'an order needs at least one line');
  const skus = new Set<string>();
  let total = 0;
  lines.forEach((line, i) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(line.sku))
      throw new OrderError('InvalidOrder', `lines[${i}].sku is not a sku`);
    if (skus.has(line.sku)) throw new OrderError('InvalidOrder', `lines[${i}].sku repeats ${line.sku}`);
    skus.add(line.sku);
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
      throw new OrderError('InvalidOrder', `lines[${i}].quantity must be a positive integer`);
    }
    if (!Number.isSafeInteger(line.unitPrice) || line.unitPrice < 0) {
      throw new OrderError('InvalidOrder', `lines[${i}].unitPrice must be a non-negative integer`);
    }
    total += line.quantity * line.unitPrice;
  });
  if (!Number.isSafeInteger(total) || total > maxTotal)
    throw new OrderError('InvalidOrder', 'the total is too large');
  return total;
}

/** An order (stream `order-<id>`): placed, fulfilled or cancelled by its saga, then perhaps refunded or returned. */
export const order: Decider<OrderCommand, OrderEvent, OrderState> = {
  initialState: () => ({ status: 'none', customer: '', lines: [], total: 0 }),

  evolve(state, event): OrderState {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'placed', ...event.data };
      case 'OrderFulfilmentStarted':
        return { ...state, status: 'fulfilling' };
      case 'OrderCancelled':
        return { ...state, status: 'cancelled' };
      case 'OrderConfirmed':
        return { ...state, status: 'confirmed' };
      case 'OrderRefundRequested':
        return { ...state, status: 'refund_requested' };
      case 'OrderReturnRequested':
        return { ...state, status: 'return_requested' };
      case 'OrderRefunded':
        return { ...state, status: event.data.kind === 'refund' ? 'refunded' : 'returned' };
    }
  },

  decide(command, state): OrderEvent[] {
    if (command.type !== 'PlaceOrder' && state.status === 'none') {
      throw new OrderError('OrderNotFound', 'no such order');
    }
    switch (command.type) {
      case 'PlaceOrder': {
        if (state.status !== 'none') throw new OrderError('OrderExists', 'the order was already placed');
        const total = checkLines(command.data.lines);
        return [{ type: 'OrderPlaced', data: { ...command.data, total } }];
      }
      case 'StartFulfilment':
        return state.status === 'placed' ? [{ type: 'OrderFulfilmentStarted', data: {} }] : [];
      case 'CancelOrder':
        if (state.status === 'cancelled') return [];
        if (state.status !== 'placed' && state.status !== 'fulfilling') {
          throw new OrderError('OrderNotCancellable', `an order that is ${state.status} cannot be cancelled`);
        }
        return [{ type: 'OrderCancelled', data: command.data }];
      case 'ConfirmOrder':
        return state.status === 'fulfilling' ? [{ type: 'OrderConfirmed', data: {} }] : [];
      case 'RequestRefund':
      case 'RequestReturn':
        if (state.status !== 'confirmed') {
          throw new OrderError('OrderNotRefundable', `an order that is ${state.status} cannot be refunded`);
        }
        return command.type === 'RequestRefund'
          ? [{ type: 'OrderRefundRequested', data: command.data }]
          : [{ type: 'OrderReturnRequested', data: { ...command.data, lines: state.lines } }];
      case 'CloseRefund':
        if (state.status === 'refunded' || state.status === 'returned') return [];
        return [{ type: 'OrderRefunded', data: command.data }];
    }
  },
};
