import {
  type CommandResult,
  createSagaRunner,
  defineSaga,
  type EventMetadata,
  type EventStore,
  handleCommand,
  type SagaDefinition,
  type SagaRunner,
  type SagaRunnerOptions,
  type SagaState,
  type SagaStep,
} from 'hindsight';
import { InventoryError, inventory } from './inventory.js';
import {
  type OrderCommand,
  OrderError,
  type OrderEvent,
  type OrderLine,
  type OrderState,
  order,
} from './order.js';
import {
  type Faults,
  NotificationService,
  PaymentDeclinedError,
  PaymentProvider,
  ProviderUnavailableError,
  ShippingProvider,
} from './providers.js';

/** What the fulfilment saga of one order works from: the order as placed. */
export interface FulfilmentInput {
  orderId: string;
  customer: string;
  lines: OrderLine[];
  total: number;
}

/** What the refund and return sagas work from. */
export interface AfterSaleInput {
  orderId: string;
  lines: OrderLine[];
}

export interface OrderWorkflowOptions {
  payments?: Faults & { declineRate?: number };
  shipping?: Faults;
  notifications?: Faults;
  runner?: SagaRunnerOptions;
  /** Retries of each provider call (the first try included); default 4. */
  maxAttempts?: number;
  /** The longest wait between two tries of a call; default 2 s. */
  maxRetryDelayMs?: number;
  /** Each provider call is abandoned after this long; default 5 s. */
  timeoutMs?: number;
}

/** The order workflow: its deciders, the outside services, and the sagas that tie them together. */
export interface OrderWorkflow {
  readonly runner: SagaRunner;
  readonly sagas: {
    fulfilment: SagaDefinition<FulfilmentInput>;
    refund: SagaDefinition<AfterSaleInput>;
    return: SagaDefinition<AfterSaleInput>;
  };
  readonly payments: PaymentProvider;
  readonly shipping: ShippingProvider;
  readonly notifications: NotificationService;
  /** Puts units of a product on the shelf. */
  addStock(sku: string, quantity: number, metadata?: EventMetadata): Promise<void>;
  /** Places an order; its fulfilment saga starts from the `OrderPlaced` event. */
  placeOrder(
    orderId: string,
    order: { customer: string; lines: OrderLine[] },
    metadata?: EventMetadata,
  ): Promise<CommandResult<OrderEvent, OrderState>>;
  /** Cancels an order's fulfilment: what was done is undone. Refused once the parcel has shipped. */
  cancelOrder(orderId: string, by: { actor: string; reason: string }): Promise<SagaState>;
  /** Refunds a fulfilled order in full (the goods stay with the customer). */
  requestRefund(orderId: string, reason: string, metadata?: EventMetadata): Promise<void>;
  /** Takes a fulfilled order's goods back into stock and refunds it. */
  requestReturn(orderId: string, reason: string, metadata?: EventMetadata): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const providerInDoubt = (error: unknown) => error instanceof ProviderUnavailableError && error.inDoubt;

/**
 * Builds the order workflow on a store: place order → reserve stock → charge → ship → notify → confirm, with
 * cancel, refund and return. When charging fails the reservation is released; when shipping fails the charge is
 * refunded and the stock released; the order ends cancelled.
 *
 * @example
 * const shop = createOrderWorkflow(store, { payments: { failBefore: 0.1 } });
 * await shop.start();
 * await shop.addStock('apple', 10);
 * await shop.placeOrder('o-1', { customer: 'ada', lines: [{ sku: 'apple', quantity: 2, unitPrice: 150 }] });
 * await shop.runner.waitFor('fulfilment', 'o-1');
 */
export function createOrderWorkflow(store: EventStore, options: OrderWorkflowOptions = {}): OrderWorkflow {
  const payments = new PaymentProvider(store, options.payments);
  const shipping = new ShippingProvider(store, options.shipping);
  const notifications = new NotificationService(store, options.notifications);
  const maxDelayMs = options.maxRetryDelayMs ?? 2000;
  const retry = { maxAttempts: options.maxAttempts ?? 4, initialDelayMs: 20, maxDelayMs };
  const patient = { maxAttempts: 10, initialDelayMs: 20, maxDelayMs };
  const timeoutMs = options.timeoutMs ?? 5000;
  const common = { retry, compensationRetry: patient, timeoutMs, inDoubt: providerInDoubt };

  const orderCommand = (orderId: string, command: OrderCommand, key: string, metadata: EventMetadata) =>
    handleCommand(store, `order-${orderId}`, order, command, { idempotencyKey: key, metadata });
  const stockCommand = (
    line: OrderLine,
    command: Parameters<typeof inventory.decide>[0],
    key: string,
    metadata: EventMetadata,
  ) =>
    handleCommand(store, `sku-${line.sku}`, inventory, command, {
      idempotencyKey: `${key}:${line.sku}`,
      metadata,
    });
  const releaseAll = async (
    input: { orderId: string; lines: OrderLine[] },
    key: string,
    metadata: EventMetadata,
  ) => {
    for (const line of input.lines) {
      await stockCommand(line, { type: 'Release', data: { orderId: input.orderId } }, key, metadata);
    }
  };

  const fulfilment = defineSaga<FulfilmentInput>({
    name: 'fulfilment',
    describe: (i) =>
      `fulfil order ${i.orderId} of ${i.customer}: ${i.lines.length} line(s), total ${i.total}`,
    triggers: [
      {
        types: ['OrderPlaced'],
        streamPrefix: 'order-',
        start: (event) => {
          const data = event.data as unknown as Omit<FulfilmentInput, 'orderId'>;
          const orderId = event.streamId.slice('order-'.length);
          return { sagaId: orderId, input: { orderId, ...data } };
        },
      },
    ],
    steps: [
      {
        name: 'accept',
        ...common,
        action: async (c) => {
          await orderCommand(
            c.input.orderId,
            { type: 'StartFulfilment', data: {} },
            c.idempotencyKey,
            c.metadata,
          );
        },
        compensate: async (c) => {
          const reason =
            c.reason === 'cancelled'
              ? 'cancelled at the customer’s request'
              : `fulfilment undone (${c.reason})`;
          await orderCommand(
            c.input.orderId,
            { type: 'CancelOrder', data: { reason } },
            c.idempotencyKey,
            c.metadata,
          );
        },
      },
      {
        name: 'reserve',
        ...common,
        retryable: (error) => !(error instanceof InventoryError),
        action: async (c) => {
          try {
            for (const line of c.input.lines) {
              await stockCommand(
                line,
                { type: 'Reserve', data: { orderId: c.input.orderId, quantity: line.quantity } },
                c.idempotencyKey,
                c.metadata,
              );
            }
          } catch (error) {
            // One line out of stock: give back the lines already held before saying no.
            if (error instanceof InventoryError)
              await releaseAll(c.input, `${c.idempotencyKey}:undo`, c.metadata);
            throw error;
          }
          return { reserved: c.input.lines.map((l) => l.sku) };
        },
        compensate: (c) => releaseAll(c.input, c.idempotencyKey, c.metadata),
      },
      {
        name: 'charge',
        ...common,
        retryable: (error) => !(error instanceof PaymentDeclinedError),
        action: async (c) => {
          const position = await payments.charge(
            c.input.orderId,
            c.input.total,
            c.idempotencyKey,
            c.metadata,
            c.signal,
          );
          return { amount: c.input.total, position };
        },
        compensate: async (c) => {
          await payments.refund(c.input.orderId, c.idempotencyKey, c.metadata, c.signal);
        },
      },
      {
        name: 'ship',
        ...common,
        pivot: true,
        action: async (c) => {
          await shipping.ship(
            c.input.orderId,
            `the address of ${c.input.customer}`,
            c.idempotencyKey,
            c.metadata,
            c.signal,
          );
          for (const line of c.input.lines) {
            await stockCommand(
              line,
              { type: 'Dispatch', data: { orderId: c.input.orderId } },
              c.idempotencyKey,
              c.metadata,
            );
          }
        },
        // Reached only when shipping failed in doubt: the parcel may have left, so it is called back.
        compensate: (c) => shipping.recall(c.input.orderId, c.idempotencyKey, c.metadata, c.signal),
      },
      {
        name: 'notify',
        ...common,
        optional: true,
        action: (c) =>
          notifications.notify(
            c.input.orderId,
            c.input.customer,
            `order ${c.input.orderId} is on its way`,
            c.idempotencyKey,
            c.metadata,
            c.signal,
          ),
      },
      {
        name: 'confirm',
        ...common,
        retry: patient,
        action: async (c) => {
          await orderCommand(
            c.input.orderId,
            { type: 'ConfirmOrder', data: {} },
            c.idempotencyKey,
            c.metadata,
          );
        },
      },
    ],
  });

  const restock: SagaStep<AfterSaleInput> = {
    name: 'restock',
    ...common,
    retry: patient,
    pivot: true,
    action: async (c) => {
      for (const line of c.input.lines) {
        await stockCommand(
          line,
          { type: 'Restock', data: { orderId: c.input.orderId } },
          c.idempotencyKey,
          c.metadata,
        );
      }
    },
  };
  const afterSale = (kind: 'refund' | 'return'): SagaDefinition<AfterSaleInput> =>
    defineSaga<AfterSaleInput>({
      name: kind,
      describe: (i) => `${kind} order ${i.orderId}`,
      triggers: [
        {
          types: [kind === 'refund' ? 'OrderRefundRequested' : 'OrderReturnRequested'],
          streamPrefix: 'order-',
          start: (event) => {
            const orderId = event.streamId.slice('order-'.length);
            const lines = (event.data as unknown as { lines?: OrderLine[] }).lines ?? [];
            return { sagaId: orderId, input: { orderId, lines } };
          },
        },
      ],
      steps: [
        ...(kind === 'return' ? [restock] : []),
        {
          name: 'refund',
          ...common,
          retry: patient,
          pivot: true,
          action: async (c) => ({
            refunded: await payments.refund(c.input.orderId, c.idempotencyKey, c.metadata, c.signal),
          }),
        },
        {
          name: 'close',
          ...common,
          retry: patient,
          action: async (c) => {
            await orderCommand(
              c.input.orderId,
              { type: 'CloseRefund', data: { kind } },
              c.idempotencyKey,
              c.metadata,
            );
          },
        },
      ],
    });
  const refund = afterSale('refund');
  const returns = afterSale('return');
  const runner = createSagaRunner(
    store,
    [fulfilment, refund, returns] as SagaDefinition<unknown>[],
    options.runner,
  );

  const requestAfterSale = async (
    orderId: string,
    type: 'RequestRefund' | 'RequestReturn',
    reason: string,
    metadata: EventMetadata,
  ) => {
    await handleCommand(store, `order-${orderId}`, order, { type, data: { reason } }, { metadata });
  };

  return {
    runner,
    sagas: { fulfilment, refund, return: returns },
    payments,
    shipping,
    notifications,
    async addStock(sku, quantity, metadata = {}) {
      await handleCommand(
        store,
        `sku-${sku}`,
        inventory,
        { type: 'AddStock', data: { quantity } },
        { metadata },
      );
    },
    placeOrder(orderId, placed, metadata = {}) {
      return handleCommand(
        store,
        `order-${orderId}`,
        order,
        { type: 'PlaceOrder', data: placed },
        { metadata },
      );
    },
    async cancelOrder(orderId, by) {
      const saga = await runner.get('fulfilment', orderId);
      const shipped = saga.steps.find((s) => s.name === 'ship')?.status === 'succeeded';
      if (saga.status === 'none')
        throw new OrderError('OrderNotFound', `no order ${orderId} is being fulfilled`);
      if (shipped || saga.status !== 'running') {
        throw new OrderError(
          'OrderNotCancellable',
          `order ${orderId} is past cancelling (${saga.status}); ask for a return`,
        );
      }
      return runner.cancel('fulfilment', orderId, by);
    },
    requestRefund: (orderId, reason, metadata = {}) =>
      requestAfterSale(orderId, 'RequestRefund', reason, metadata),
    requestReturn: (orderId, reason, metadata = {}) =>
      requestAfterSale(orderId, 'RequestReturn', reason, metadata),
    start: () => runner.start(),
    stop: () => runner.stop(),
  };
}
