export { contractCaseNames, describeEventStoreContract } from './contract.js';
export { deciderSpec, type ErrorExpectation, type Then } from './decider-spec.js';
export type { EventStoreFixture, HeldAppend, OpenedStore } from './fixture.js';
