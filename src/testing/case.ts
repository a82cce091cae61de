import type { OpenedStore } from './fixture.js';

/** What a case may need of the fixture beyond a store, `sql` and `reopen`. */
export type Capability = 'holdAppend' | 'child' | 'setNextPosition';

/** One contract case: it gets a store on a fresh log and throws when the promise is broken. */
export interface ContractCase {
  title: string;
  needs?: readonly Capability[];
  /** Defaults to 10 s; the suite runs under any vitest configuration, so slow cases say so here. */
  timeoutMs?: number;
  run(log: OpenedStore): Promise<void>;
}

/** The cases of one promise, registered as one `describe`. */
export interface CaseGroup {
  name: string;
  cases: readonly ContractCase[];
}
