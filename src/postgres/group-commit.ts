import type { AppendResult } from '../store/event-store.js';
import type { BatchMember, MemberOutcome } from './append-batch.js';

/** What the queue needs of the appender (append.ts). */
export interface BatchAppender {
  append(appends: BatchMember, announce: boolean): Promise<AppendResult[]>;
  appendBatch(members: readonly BatchMember[], announce: boolean): Promise<MemberOutcome[]>;
}

/** How appends are grouped into transactions. */
export interface GroupCommitOptions {
  /** Transactions of appends in flight at once, each on a connection of the pool; default 4. */
  maxBatchesInFlight?: number;
  /** Events in one transaction at most (an append larger than this goes alone); default 5,000. */
  maxBatchEvents?: number;
  /** Bytes of data and metadata in one transaction at most (an append larger goes alone); default 8 MiB. */
  maxBatchBytes?: number;
}

interface Pending {
  member: BatchMember;
  streamIds: readonly string[];
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit on PostgreSQL: appends that arrive while earlier ones are being written wait and then go
 * together, as one statement and one transaction (`append_batch`), so many writers share one COMMIT and one WAL
 * flush instead of each paying its own. Each append is still checked and all or nothing on its own. An append
 * that finds the queue idle goes at once, alone, as before.
 *
 * Order: appends to one stream are written in the order they were submitted (a batch never takes an append
 * whose stream is in a batch still in flight, or behind one left waiting); appends to different streams may
 * overtake each other.
 */
export class PostgresGroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly busyStreams = new Map<string, number>();
  private readonly maxInFlight: number;
  private readonly maxEvents: number;
  private readonly maxBytes: number;

  constructor(
    private readonly appender: BatchAppender,
    /** Called after each transaction that may have written, with whether it announced itself (see store.ts). */
    private readonly committed: (announced: boolean) => void,
    options: GroupCommitOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxBatchesInFlight ?? 4);
    this.maxEvents = Math.max(1, options.maxBatchEvents ?? 5_000);
    this.maxBytes = Math.max(1, options.maxBatchBytes ?? 8 * 1024 * 1024);
  }

  submit(member: BatchMember): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ member, streamIds: member.map((a) => a.streamId), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // Appends submitted in this turn of the event loop (and by callers woken by the last batch) join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight) {
      const batch = this.take();
      if (batch.length === 0) return;
      // Alone, a transaction announces itself from inside at no cost; overlapping another of this store, it would
      // make their commits wait for each other (docs/postgres.md), so the store announces it after COMMIT.
      const announce = this.inFlight === 0;
      this.inFlight++;
      this.markBusy(batch, 1);
      void this.write(batch, announce).finally(() => {
        this.inFlight--;
        this.markBusy(batch, -1);
        this.committed(announce);
        this.schedule();
      });
    }
  }

  private markBusy(batch: readonly Pending[], change: 1 | -1): void {
    for (const p of batch) {
      for (const id of p.streamIds) {
        const n = (this.busyStreams.get(id) ?? 0) + change;
        if (n > 0) this.busyStreams.set(id, n);
        else this.busyStreams.delete(id);
      }
    }
  }

  /**
   * The next batch, in order of submission: an append whose stream is busy (in flight, or behind an append
   * left waiting), or whose ids another append of the batch carries, waits for a later batch.
   */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const left: Pending[] = [];
    const blocked = new Set<string>();
    const ids = new Set<string>();
    let events = 0;
    let bytes = 0;
    for (const p of this.queue) {
      const size = sizeOf(p.member);
      const fits =
        batch.length === 0 || (events + size.events <= this.maxEvents && bytes + size.bytes <= this.maxBytes);
      const free = p.streamIds.every((id) => !blocked.has(id) && !this.busyStreams.has(id));
      const fresh = p.member.every((a) => a.events.every((e) => !ids.has(e.id)));
      if (fits && free && fresh) {
        batch.push(p);
        events += size.events;
        bytes += size.bytes;
        for (const a of p.member) for (const e of a.events) ids.add(e.id);
      } else {
        left.push(p);
      }
      for (const id of p.streamIds) blocked.add(id);
    }
    this.queue = left;
    return batch;
  }

  private async write(batch: readonly Pending[], announce: boolean): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only) {
      await this.appender.append(only.member, announce).then(only.resolve, only.reject);
      return;
    }
    let outcomes: MemberOutcome[];
    try {
      outcomes = await this.appender.appendBatch(
        batch.map((p) => p.member),
        announce,
      );
    } catch {
      // The statement failed as a whole and nothing of it is stored. Each append again on its own: its own error
      // (a duplicate id, an overflow) then names it, and a retry of one that did commit (a lost answer) is
      // answered as a retry, since its ids are stored.
      // One after another, so appends to one stream keep their order.
      for (const p of batch) await this.appender.append(p.member, announce).then(p.resolve, p.reject);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) p.resolve(outcome.results);
      else p.reject(outcome ? outcome.error : new Error('append_batch returned no outcome'));
    });
  }
}

function sizeOf(member: BatchMember): { events: number; bytes: number } {
  let events = 0;
  let bytes = 0;
  for (const a of member) {
    events += a.events.length;
    for (const e of a.events) bytes += e.data.length + e.metadata.length;
  }
  return { events, bytes };
}
