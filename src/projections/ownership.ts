/** The right to run one projection (or saga runner), held until released or lost. */
export interface Lease {
  /** Aborted when the lease is lost (the database connection holding it died): stop working at once. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Decides which process runs a projection when several share a database. The default, for one process
 * (SQLite, or a single server), grants every lease at once.
 */
export interface Ownership {
  /** Resolves when this process owns `name`; waits (retrying) while another process does. */
  acquire(name: string, signal: AbortSignal): Promise<Lease>;
}

/** Every lease granted immediately: for a single process. */
export const soleOwnership: Ownership = {
  async acquire() {
    return { lost: new AbortController().signal, release: async () => {} };
  },
};
