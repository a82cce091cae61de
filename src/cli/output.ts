import type { RecordedEvent } from '../events/event.js';
import { eventJson } from '../server/event-json.js';

/** How events are printed: one JSON object a line, or an aligned table for people. */
export type EventFormat = 'ndjson' | 'table';

/** `--format`, or a table on a terminal and NDJSON in a pipe. */
export function eventFormat(flag: string | undefined): EventFormat {
  if (flag === undefined) return process.stdout.isTTY ? 'table' : 'ndjson';
  if (flag === 'ndjson' || flag === 'table') return flag;
  throw new Error(`--format must be ndjson or table, got ${flag}`);
}

const columns = [
  ['position', 9],
  ['stream', 20],
  ['version', 7],
  ['type', 20],
  ['recorded at', 24],
  ['actor', 12],
] as const;

/** The table's header line. */
export function tableHeader(): string {
  return `${columns.map(([name, width]) => name.padEnd(width)).join(' ')} data`;
}

/** One event as a line of the table or as NDJSON. */
export function formatEvent(event: RecordedEvent, format: EventFormat): string {
  if (format === 'ndjson') return JSON.stringify(eventJson(event));
  const cells = [
    String(event.position),
    event.streamId,
    String(event.streamVersion),
    event.type,
    event.recordedAt.toISOString(),
    event.metadata.actor ?? '',
  ];
  const line = cells.map((cell, i) => clip(cell, (columns[i] as readonly [string, number])[1])).join(' ');
  return `${line} ${clip(JSON.stringify(event.data), 60)}`;
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/**
 * Progress of long work on stderr, redrawn at most ten times a second, only on a terminal; `done` clears it so
 * the one-line summary that follows stands alone.
 */
export function progress(label: string, total?: number): { tick(count: number): void; done(): void } {
  const live = process.stderr.isTTY === true;
  let last = 0;
  return {
    tick(count) {
      const now = Date.now();
      if (!live || now - last < 100) return;
      last = now;
      const share = total ? ` / ${total.toLocaleString('en')} (${Math.floor((count / total) * 100)}%)` : '';
      process.stderr.write(`\r${label} ${count.toLocaleString('en')}${share}\u001b[K`);
    },
    done() {
      if (live && last !== 0) process.stderr.write('\r\u001b[K');
    },
  };
}
