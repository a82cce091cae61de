import type { RecordedEvent } from '../events/event.js';

/** Reads at most `limit` events of positions `from`..`to` (both included), in position order. */
export type RangeRead = (from: number, to: number, limit: number) => Promise<RecordedEvent[]>;

interface Range {
  to: number;
  events: Promise<RecordedEvent[]>;
}

const inFlight = 2;

/**
 * Reads a stretch of the log that is already final (every position in it committed or abandoned: at or below a
 * head the store has reported) by ranges of positions, two at once on two connections, while the caller works
 * through what came back: unlike reading on from the last row seen, a range's bounds are known before the range
 * before it arrives. Positions have gaps and filters skip events, so a range may hold fewer events than it spans:
 * one that comes back sparse makes the next ones wider. A range holds at most `rows` events; one that comes back
 * full is read on from its last event before anything after it.
 */
export class RangePages {
  private next: number;
  private span: number;
  private readonly buffer: RecordedEvent[] = [];
  private readonly reading: Range[] = [];

  constructor(
    private readonly read: RangeRead,
    from: number,
    /** The last position of the stretch. */
    readonly to: number,
    /** Events per range at most, and the first ranges' span. */
    private readonly rows: number,
  ) {
    this.next = from;
    this.rows = Math.max(1, rows);
    this.span = this.rows;
  }

  /** Up to `count` events; fewer only once the stretch is read to its end. */
  async take(count: number): Promise<RecordedEvent[]> {
    while (this.buffer.length < count) {
      this.topUp();
      const range = this.reading.shift();
      if (!range) break;
      const events = await range.events;
      const last = events[events.length - 1];
      if (last && events.length >= this.rows && last.position < range.to) {
        // Full before its end: the rest of it comes next, before the ranges already asked for after it.
        this.reading.unshift(this.start(last.position + 1, range.to));
        this.span = this.rows;
      } else if (events.length < this.rows / 4) {
        this.span = Math.min(Number.MAX_SAFE_INTEGER, this.span * 2);
      }
      for (const e of events) this.buffer.push(e);
    }
    this.topUp();
    return this.buffer.splice(0, count);
  }

  private topUp(): void {
    while (this.reading.length < inFlight && this.next <= this.to) {
      const from = this.next;
      const to = Math.min(this.to, from + this.span - 1);
      this.next = to + 1;
      this.reading.push(this.start(from, to));
    }
  }

  private start(from: number, to: number): Range {
    const events = this.read(from, to, this.rows);
    // Handled when its turn comes; one that fails after the reader stopped is not heard.
    events.catch(() => {});
    return { to, events };
  }
}
