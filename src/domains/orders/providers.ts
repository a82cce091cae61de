import { createHash } from 'node:crypto';
import { type Decider, type EventMetadata, type EventStore, handleCommand, type Message } from 'hindsight';

/**
 * How an outside service misbehaves: each call waits `latencyMs` (± half), then fails before doing anything with
 * `failBefore`, or does its work and loses the answer with `failAfter` (the case idempotency keys exist for).
 */
export interface Faults {
  latencyMs?: number;
  failBefore?: number;
  failAfter?: number;
  /** Numbers in [0, 1): a seeded generator makes a run repeatable. */
  random?: () => number;
}

/** A call to an outside service that did not answer; trying again with the same key is safe. */
export class ProviderUnavailableError extends Error {
  constructor(
    provider: string,
    what: string,
    /** The service may have done the work before the answer was lost. */
    readonly inDoubt: boolean,
  ) {
    super(`${provider}: ${what}`);
    this.name = 'ProviderUnavailable';
  }
}

/** A card refused: trying again will not help. */
export class PaymentDeclinedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentDeclined';
  }
}

/** A seeded generator of numbers in [0, 1) (mulberry32), for repeatable fault schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number in [0, 1) fixed by the text. */
function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 4294967296;
}

/** Runs one call of a service through its faults. */
async function call<T>(
  name: string,
  faults: Faults,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const random = faults.random ?? Math.random;
  const latency = faults.latencyMs ?? 0;
  if (latency > 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, latency * (0.5 + random()));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error('aborted'));
      });
    });
  }
  if (random() < (faults.failBefore ?? 0))
    throw new ProviderUnavailableError(name, 'unavailable, nothing done', false);
  const result = await work();
  if (random() < (faults.failAfter ?? 0))
    throw new ProviderUnavailableError(name, 'done, but the answer was lost', true);
  return result;
}

// The providers keep their own books as event streams in the same store, the way a real provider keeps a
// database of its own: it is what the tests audit to prove no effect happened twice.

type PaymentCommand = Message<'Charge', { amount: number }> | Message<'Refund', Record<string, never>>;
type PaymentEvent =
  | Message<'PaymentCharged', { amount: number }>
  | Message<'PaymentRefunded', { amount: number }>;
interface PaymentState {
  charged: number;
  refunded: number;
}

/** The payment provider's book of one order (stream `payment-<orderId>`): one charge, at most one refund of it. */
export const payment: Decider<PaymentCommand, PaymentEvent, PaymentState> = {
  initialState: () => ({ charged: 0, refunded: 0 }),
  evolve: (s, e) =>
    e.type === 'PaymentCharged'
      ? { ...s, charged: s.charged + e.data.amount }
      : { ...s, refunded: s.refunded + e.data.amount },
  decide(command, state) {
    if (command.type === 'Charge') {
      if (state.charged > 0) throw new PaymentDeclinedError('this order was already charged');
      return [{ type: 'PaymentCharged', data: { amount: command.data.amount } }];
    }
    const left = state.charged - state.refunded;
    return left > 0 ? [{ type: 'PaymentRefunded', data: { amount: left } }] : [];
  },
};

/** A card processor: charges and refunds an order's total, idempotent by key. */
export class PaymentProvider {
  constructor(
    private readonly store: EventStore,
    private readonly faults: Faults & { declineRate?: number } = {},
  ) {}

  charge(
    orderId: string,
    amount: number,
    key: string,
    metadata: EventMetadata,
    signal?: AbortSignal,
  ): Promise<number> {
    return call('payments', this.faults, signal, async () => {
      // The same card gives the same answer on every try: declines are decided by the key, not by chance.
      if (unitHash(key) < (this.faults.declineRate ?? 0))
        throw new PaymentDeclinedError(`card declined for ${amount}`);
      const result = await handleCommand(
        this.store,
        `payment-${orderId}`,
        payment,
        { type: 'Charge', data: { amount } },
        {
          idempotencyKey: key,
          metadata,
        },
      );
      return result.position;
    });
  }

  /** Refunds whatever of the order's charge is not refunded yet; nothing when it was never charged. */
  refund(orderId: string, key: string, metadata: EventMetadata, signal?: AbortSignal): Promise<number> {
    return call('payments', this.faults, signal, async () => {
      const result = await handleCommand(
        this.store,
        `payment-${orderId}`,
        payment,
        { type: 'Refund', data: {} },
        {
          idempotencyKey: key,
          metadata,
        },
      );
      return result.events.reduce((sum, e) => sum + (e.type === 'PaymentRefunded' ? e.data.amount : 0), 0);
    });
  }
}

type ShipmentCommand = Message<'Ship', { address: string }> | Message<'Recall', Record<string, never>>;
type ShipmentEvent =
  | Message<'ShipmentDispatched', { address: string }>
  | Message<'ShipmentRecalled', Record<string, never>>;
type ShipmentState = 'none' | 'dispatched' | 'recalled';

/** The carrier's book of one order (stream `shipment-<orderId>`): dispatched once, recalled at most once. */
export const shipment: Decider<ShipmentCommand, ShipmentEvent, ShipmentState> = {
  initialState: () => 'none',
  evolve: (_, e) => (e.type === 'ShipmentDispatched' ? 'dispatched' : 'recalled'),
  decide(command, state) {
    if (command.type === 'Ship')
      return state === 'none' ? [{ type: 'ShipmentDispatched', data: command.data }] : [];
    return state === 'dispatched' ? [{ type: 'ShipmentRecalled', data: {} }] : [];
  },
};

/** A carrier: dispatches an order's parcel, or recalls it, idempotent by key. */
export class ShippingProvider {
  constructor(
    private readonly store: EventStore,
    private readonly faults: Faults = {},
  ) {}

  ship(
    orderId: string,
    address: string,
    key: string,
    metadata: EventMetadata,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.command(orderId, { type: 'Ship', data: { address } }, key, metadata, signal);
  }

  /** Calls a parcel back before delivery; nothing when none was dispatched. */
  recall(orderId: string, key: string, metadata: EventMetadata, signal?: AbortSignal): Promise<void> {
    return this.command(orderId, { type: 'Recall', data: {} }, key, metadata, signal);
  }

  private command(
    orderId: string,
    command: ShipmentCommand,
    key: string,
    metadata: EventMetadata,
    signal?: AbortSignal,
  ) {
    return call('shipping', this.faults, signal, async () => {
      await handleCommand(this.store, `shipment-${orderId}`, shipment, command, {
        idempotencyKey: key,
        metadata,
      });
    });
  }
}

type NotificationCommand = Message<'Notify', { to: string; message: string }>;
type NotificationEvent = Message<'NotificationSent', { to: string; message: string }>;

/** The mailer's book of one order's messages (stream `notification-<orderId>`). */
export const notification: Decider<NotificationCommand, NotificationEvent, null> = {
  initialState: () => null,
  evolve: (s) => s,
  decide: (command) => [{ type: 'NotificationSent', data: command.data }],
};

/** A mailer: sends a message about an order, idempotent by key. */
export class NotificationService {
  constructor(
    private readonly store: EventStore,
    private readonly faults: Faults = {},
  ) {}

  notify(
    orderId: string,
    to: string,
    message: string,
    key: string,
    metadata: EventMetadata,
    signal?: AbortSignal,
  ) {
    return call('notifications', this.faults, signal, async () => {
      await handleCommand(
        this.store,
        `notification-${orderId}`,
        notification,
        { type: 'Notify', data: { to, message } },
        {
          idempotencyKey: key,
          metadata,
        },
      );
    });
  }
}
