import type Database from 'better-sqlite3';
import type { AppendResult } from '../store/event-store.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import type { SqliteAppender } from './append.js';

interface Pending {
  appends: readonly PreparedAppend[];
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: appends that arrive while the event loop is busy are written in one transaction and share
 * one fsync. Each append runs inside its own savepoint, so one that fails a check is rolled back alone and
 * the others still commit. A promise resolves only after the COMMIT that made its events durable.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  /** Called after every commit that stored events. */
  readonly listeners = new Set<() => void>();

  constructor(
    private readonly db: Database.Database,
    private readonly appender: SqliteAppender,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
  }

  submit(appends: readonly PreparedAppend[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ appends, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.idle = new Promise((done) => {
          this.markIdle = done;
        });
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once every append submitted so far has been committed or refused. */
  drained(): Promise<void> {
    return this.idle;
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    const outcomes = this.writeBatch(batch);
    if (outcomes.some((o) => o instanceof Outcome)) this.notify();
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      const pending = batch[i] as Pending;
      if (outcome instanceof Outcome) pending.resolve(outcome.results);
      else pending.reject(outcome);
    }
    if (!this.scheduled) this.markIdle();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the append has committed.
      }
    }
  }

  private writeBatch(batch: Pending[]): (Outcome | unknown)[] {
    const db = this.db;
    const alone = batch.length === 1;
    const outcomes: (Outcome | unknown)[] = new Array(batch.length);
    try {
      this.begin.run();
    } catch (error) {
      return outcomes.fill(error);
    }
    try {
      let head = this.appender.headPosition();
      const recordedAt = Date.now();
      for (let i = 0; i < batch.length; i++) {
        const { appends } = batch[i] as Pending;
        if (!alone) db.exec('SAVEPOINT one_append');
        try {
          const [results, newHead] = this.appender.append(appends, head, recordedAt);
          head = newHead;
          outcomes[i] = new Outcome(results);
          if (!alone) db.exec('RELEASE one_append');
        } catch (error) {
          outcomes[i] = error;
          if (alone) throw error;
          db.exec('ROLLBACK TO one_append; RELEASE one_append');
        }
      }
      this.commit.run();
      return outcomes;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      // Nothing of this batch is stored: every append in it fails, with its own error where it had one.
      return Array.from(outcomes, (o) => (o instanceof Outcome || o === undefined ? error : o));
    }
  }
}

class Outcome {
  constructor(readonly results: AppendResult[]) {}
}
