// A shop process for the kill -9 test: resumes the sagas it finds, places a batch of orders, asks for some
// returns, and runs until killed (or, with --finish, until every saga has ended).
import { createSqliteEventStore } from 'hindsight/sqlite';
import { auditOrders, createOrderWorkflow, seededRandom } from '../../src/domains/orders/index.js';

const [file, runText, mode] = process.argv.slice(2) as [string, string, string | undefined];
const run = Number(runText);
const store = createSqliteEventStore({ file, durability: 'normal' });
const random = seededRandom(run * 7919 + 1);
const faults = { failBefore: 0.2, failAfter: 0.2, latencyMs: 2, random };
const shop = createOrderWorkflow(store, {
  payments: { ...faults, declineRate: 0.15 },
  shipping: { failBefore: 0.3, failAfter: 0.1, random },
  notifications: faults,
  maxAttempts: 3,
  maxRetryDelayMs: 20,
  runner: { pollIntervalMs: 10, checkpointEveryMs: 50 },
});
await shop.start();
if (run === 0) {
  await shop.addStock('apple', 400);
  await shop.addStock('pear', 40);
}
process.stdout.write('started\n');

if (mode === '--finish') {
  for (;;) {
    const audit = await auditOrders(store);
    const open = Object.entries(audit.outcomes).filter(
      ([o]) => !['completed', 'compensated', 'failed'].includes(o),
    );
    const afterSale = shop.runner.status().filter((s) => s.saga !== 'fulfilment' && s.active > 0);
    if (open.length === 0 && afterSale.length === 0) break;
    // A compensation that ran out of tries leaves its saga stuck: the operator retries it.
    for (const kind of shop.runner.status()) {
      for (const id of kind.stuck) {
        await shop.runner
          .retry(kind.saga, id, { actor: 'ops', reason: 'the provider is back' })
          .catch(() => {});
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await shop.stop();
  await store.close();
  process.exit(0);
}

for (let i = 0; i < 20; i++) {
  const id = `r${run}-${i}`;
  await shop
    .placeOrder(id, {
      customer: `c${i}`,
      lines: [
        { sku: 'apple', quantity: 1 + (i % 3), unitPrice: 125 },
        ...(i % 4 === 0 ? [{ sku: 'pear', quantity: 1, unitPrice: 80 }] : []),
      ],
    })
    .catch(() => {}); // placed by an earlier, killed, run of this batch
  if (i % 5 === 0) {
    void shop.runner
      .waitFor('fulfilment', id, { timeoutMs: 60_000 })
      .then((s) => (s.status === 'completed' ? shop.requestReturn(id, 'does not fit') : undefined))
      .catch(() => {});
  }
}
// Keep running sagas until killed.
setInterval(() => {}, 1000);
