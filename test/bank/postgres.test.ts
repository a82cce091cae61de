import { afterAll } from 'vitest';
import { databaseUrl, describePostgres, runSql, uniqueSchema } from '../support/postgres.js';
import { bankContract } from './contract.js';
import { startBankServer } from './server-process.js';

describePostgres('the bank over HTTP on PostgreSQL (a real hindsight serve process)', () => {
  // serve keeps its tables in the schema hindsight: a database of its own keeps this file apart from others.
  const database = uniqueSchema('bank');
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  afterAll(async () => {
    await runSql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });
  bankContract(async () => {
    await runSql(`CREATE DATABASE ${database}`);
    return startBankServer({ databaseUrl: url.toString() });
  });
});
