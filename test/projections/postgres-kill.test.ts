import { createPostgresEventStore, type PostgresEventStore } from 'hindsight/postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from '../support/postgres.js';
import { expectViewMatchesLog, killHard, startProjector } from './postgres-children.js';

describePostgres('PostgreSQL projection under kill -9', () => {
  const schema = uniqueSchema('kill');
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 2 });
  });
  afterAll(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('never applies an event twice or skips one, killed at random points many times', async () => {
    let progressed = 0;
    for (let run = 0; run < 6; run++) {
      const child = await startProjector(schema, 'write', `${schema}_${run}`);
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 350)));
      await killHard(child);
      const checkpoint = await expectViewMatchesLog(store.pool, schema);
      expect(checkpoint).toBeLessThanOrEqual(await store.headPosition());
      progressed = Math.max(progressed, checkpoint);
    }
    expect(progressed).toBeGreaterThan(0);
  });
});
