export { auditOrders, type OrderAudit } from './audit.js';
export {
  type InventoryCommand,
  InventoryError,
  type InventoryEvent,
  type InventoryState,
  inventory,
} from './inventory.js';
export {
  type OrderCommand,
  OrderError,
  type OrderEvent,
  type OrderLine,
  type OrderState,
  type OrderStatus,
  order,
} from './order.js';
export {
  type Faults,
  NotificationService,
  notification,
  PaymentDeclinedError,
  PaymentProvider,
  ProviderUnavailableError,
  payment,
  ShippingProvider,
  seededRandom,
  shipment,
} from './providers.js';
export {
  type AfterSaleInput,
  createOrderWorkflow,
  type FulfilmentInput,
  type OrderWorkflow,
  type OrderWorkflowOptions,
} from './workflow.js';
