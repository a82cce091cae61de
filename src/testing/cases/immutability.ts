import { expect } from 'vitest';
import { event, events, expectNothingStored, failureOf } from '../assertions.js';
import type { CaseGroup } from '../case.js';

export const immutability: CaseGroup = {
  name: 'immutability',
  cases: [
    {
      title: 'UPDATE and DELETE on the events table are rejected by the database itself',
      async run(log) {
        const { store } = log;
        const table = log.eventsTable ?? 'events';
        await store.appendToStream('s', events('e', 3));
        await store.appendToStream('t', [event('t')]);
        const statements = [
          `UPDATE ${table} SET type = 'Changed'`,
          `UPDATE ${table} SET type = 'Forged' WHERE id = 'e-1'`,
          `DELETE FROM ${table} WHERE id = 'e-2'`,
          `DELETE FROM ${table}`,
        ];
        await expectNothingStored(store, async () => {
          for (const statement of statements) {
            const failure = await failureOf(() => log.sql(statement));
            expect(failure.message, statement).toMatch(/immutable|not allowed|denied|prohibited|read.?only/i);
          }
        });
      },
    },
  ],
};
