import { fileURLToPath } from 'node:url';
import { createPostgresEventStore, type PostgresEventStore } from '../src/postgres/index.js';
import { describeEventStoreContract, type OpenedStore } from '../src/testing/index.js';
import { type AbandonableHeldAppend, holdAppend } from './support/hold-append.js';
import { databaseUrl, describePostgres, dropSchema, runSql, uniqueSchema } from './support/postgres.js';

const childModule = fileURLToPath(new URL('./postgres-child-store.ts', import.meta.url));

/** A fresh schema per case: the cases of this file and of others run side by side on one database. */
async function openLog(): Promise<OpenedStore> {
  const schema = uniqueSchema('contract');
  const open = () => createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 8 });
  const store = await open();
  const stores: PostgresEventStore[] = [store];
  const held: AbandonableHeldAppend[] = [];
  return {
    store,
    async reopen() {
      const another = await open();
      stores.push(another);
      return another;
    },
    async holdAppend(streamId, events) {
      const h = await holdAppend(schema, streamId, events);
      held.push(h);
      return h;
    },
    child: { module: childModule, config: { connectionString: databaseUrl, schema } },
    sql: (statement) => runSql(statement),
    eventsTable: `"${schema}".events`,
    async setNextPosition(position) {
      await runSql(`ALTER SEQUENCE "${schema}".event_positions RESTART WITH ${position}`);
    },
    async dispose() {
      for (const h of held) await h.abandon();
      for (const s of stores) await s.close();
      await dropSchema(schema);
    },
  };
}

describePostgres('postgres', () => {
  describeEventStoreContract({ name: 'postgres', open: openLog });
});
