import { describe, it } from 'vitest';
import type { CaseGroup, ContractCase } from './case.js';
import { asOf } from './cases/as-of.js';
import { atomicity } from './cases/atomicity.js';
import { badInput } from './cases/bad-input.js';
import { concurrency } from './cases/concurrency.js';
import { durability } from './cases/durability.js';
import { idempotency } from './cases/idempotency.js';
import { immutability } from './cases/immutability.js';
import { lifecycle } from './cases/lifecycle.js';
import { model } from './cases/model.js';
import { ordering } from './cases/ordering.js';
import { overflow } from './cases/overflow.js';
import { payloads } from './cases/payloads.js';
import { reads } from './cases/reads.js';
import type { EventStoreFixture } from './fixture.js';

const groups: readonly CaseGroup[] = [
  concurrency,
  atomicity,
  idempotency,
  ordering,
  durability,
  immutability,
  reads,
  asOf,
  overflow,
  payloads,
  badInput,
  model,
  lifecycle,
];

/**
 * Every case's full name, `group > title`: what a fixture's `skip` may name (a group's name alone works too).
 *
 * @example
 * const heldCases = contractCaseNames.filter((name) => name.startsWith('order under concurrent commits'));
 */
export const contractCaseNames: readonly string[] = groups.flatMap((g) =>
  g.cases.map((c) => `${g.name} > ${c.title}`),
);

/**
 * Registers the store contract as vitest cases: every promise an `EventStore` keeps, each case on a fresh log.
 * Cases the fixture skips are listed as skipped with their reason in the title; a case that needs a fixture
 * member the fixture lacks (and does not skip) fails, so a missing capability is always explained.
 * Needs `vitest` and `fast-check`, and `tsx` when the kill -9 case's child module is TypeScript.
 *
 * @example
 * // test/my-store.test.ts
 * import { describeEventStoreContract } from 'hindsight/testing';
 * describeEventStoreContract({ name: 'my store', open: async () => openMyStoreOnAFreshLog() });
 */
export function describeEventStoreContract(fixture: EventStoreFixture): void {
  const reasons = skipReasons(fixture);
  describe(`EventStore contract: ${fixture.name}`, () => {
    for (const group of groups) {
      describe(group.name, () => {
        for (const c of group.cases) {
          const reason =
            reasons.get(group.name) ?? reasons.get(c.title) ?? reasons.get(`${group.name} > ${c.title}`);
          if (reason !== undefined) it.skip(`${c.title} [skipped: ${reason}]`, () => {});
          else it(c.title, () => runCase(fixture, group, c), c.timeoutMs ?? 10_000);
        }
      });
    }
  });
}

function skipReasons(fixture: EventStoreFixture): Map<string, string> {
  const known = new Set([
    ...groups.map((g) => g.name),
    ...groups.flatMap((g) => g.cases.map((c) => c.title)),
  ]);
  for (const name of contractCaseNames) known.add(name);
  const reasons = new Map<string, string>();
  for (const { reason, tests } of fixture.skip ?? []) {
    for (const name of tests) {
      // A misspelt name would silently run the case it meant to skip, or hide that nothing is skipped.
      if (!known.has(name)) throw new Error(`fixture ${fixture.name}: skip names no contract case: ${name}`);
      reasons.set(name, reason);
    }
  }
  return reasons;
}

async function runCase(fixture: EventStoreFixture, group: CaseGroup, c: ContractCase): Promise<void> {
  const log = await fixture.open();
  try {
    for (const capability of c.needs ?? []) {
      if (log[capability] === undefined) {
        throw new Error(
          `fixture ${fixture.name} has no ${capability}: provide it, or skip '${group.name} > ${c.title}' with the reason`,
        );
      }
    }
    await c.run(log);
  } finally {
    await log.dispose();
  }
}
