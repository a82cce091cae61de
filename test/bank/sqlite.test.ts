import { describe } from 'vitest';
import { bankContract } from './contract.js';
import { startBankServer } from './server-process.js';

describe('the bank over HTTP on SQLite (a real hindsight serve process)', () => {
  bankContract(() => startBankServer());
});
