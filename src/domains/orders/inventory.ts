import type { Decider, Message } from 'hindsight';

/** Why the inventory refused a command. */
export class InventoryError extends Error {
  constructor(
    readonly code: 'OutOfStock' | 'InvalidQuantity',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type InventoryCommand =
  | Message<'AddStock', { quantity: number }>
  | Message<'Reserve', { orderId: string; quantity: number }>
  | Message<'Release', { orderId: string }>
  | Message<'Dispatch', { orderId: string }>
  | Message<'Restock', { orderId: string }>;

export type InventoryEvent =
  | Message<'StockAdded', { quantity: number }>
  | Message<'StockReserved', { orderId: string; quantity: number }>
  | Message<'StockReleased', { orderId: string; quantity: number }>
  | Message<'StockDispatched', { orderId: string; quantity: number }>
  | Message<'StockRestocked', { orderId: string; quantity: number }>;

/** One product's stock: units on the shelf, held for orders, and gone out of the door. */
export interface InventoryState {
  available: number;
  /** Units held for each order not yet shipped. */
  reserved: Record<string, number>;
  /** Units shipped for each order, until returned. */
  dispatched: Record<string, number>;
}

function checkQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) {
    throw new InventoryError('InvalidQuantity', `quantity must be a positive integer, got ${quantity}`);
  }
}

const without = (record: Record<string, number>, key: string): Record<string, number> => {
  const { [key]: _, ...rest } = record;
  return rest;
};

/**
 * A product's stock (stream `sku-<sku>`). Releasing, dispatching or restocking an order that holds nothing is a
 * no-op, so a saga's compensation may always call them.
 */
export const inventory: Decider<InventoryCommand, InventoryEvent, InventoryState> = {
  initialState: () => ({ available: 0, reserved: {}, dispatched: {} }),

  evolve(state, event): InventoryState {
    switch (event.type) {
      case 'StockAdded':
        return { ...state, available: state.available + event.data.quantity };
      case 'StockReserved':
        return {
          ...state,
          available: state.available - event.data.quantity,
          reserved: { ...state.reserved, [event.data.orderId]: event.data.quantity },
        };
      case 'StockReleased':
        return {
          ...state,
          available: state.available + event.data.quantity,
          reserved: without(state.reserved, event.data.orderId),
        };
      case 'StockDispatched':
        return {
          ...state,
          reserved: without(state.reserved, event.data.orderId),
          dispatched: { ...state.dispatched, [event.data.orderId]: event.data.quantity },
        };
      case 'StockRestocked':
        return {
          ...state,
          available: state.available + event.data.quantity,
          dispatched: without(state.dispatched, event.data.orderId),
        };
    }
  },

  decide(command, state): InventoryEvent[] {
    switch (command.type) {
      case 'AddStock':
        checkQuantity(command.data.quantity);
        return [{ type: 'StockAdded', data: command.data }];
      case 'Reserve': {
        const { orderId, quantity } = command.data;
        checkQuantity(quantity);
        if (state.reserved[orderId] !== undefined || state.dispatched[orderId] !== undefined) return [];
        if (quantity > state.available) {
          throw new InventoryError('OutOfStock', `${quantity} wanted, ${state.available} available`);
        }
        return [{ type: 'StockReserved', data: { orderId, quantity } }];
      }
      case 'Release': {
        const quantity = state.reserved[command.data.orderId];
        return quantity === undefined
          ? []
          : [{ type: 'StockReleased', data: { orderId: command.data.orderId, quantity } }];
      }
      case 'Dispatch': {
        const quantity = state.reserved[command.data.orderId];
        return quantity === undefined
          ? []
          : [{ type: 'StockDispatched', data: { orderId: command.data.orderId, quantity } }];
      }
      case 'Restock': {
        const quantity = state.dispatched[command.data.orderId];
        return quantity === undefined
          ? []
          : [{ type: 'StockRestocked', data: { orderId: command.data.orderId, quantity } }];
      }
    }
  },
};
