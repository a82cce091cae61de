// The writer process of the kill -9 case: opens a store with the module and config it is given, appends in
// loops from the moment a line arrives on stdin until it is killed, and prints one JSON line per acknowledged
// append, after the append resolved. Run as: node [--import tsx] child-writer.js '<WriterInput as JSON>'
import { once } from 'node:events';
import { isAbsolute } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { NewEvent } from '../events/event.js';
import type { AppendResult, EventStore, StreamAppend } from '../store/event-store.js';
import type { WriterAck, WriterEventData, WriterInput } from './writer-protocol.js';

const input = JSON.parse(process.argv[2] ?? '{}') as WriterInput;
const url = isAbsolute(input.module) ? pathToFileURL(input.module).href : input.module;
const { openStore } = (await import(url)) as { openStore(config: unknown): Promise<EventStore> };
const store = await openStore(input.config);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
// A parent that goes away without a word (its test failed) closes stdin: the writer ends with it.
lines.on('close', () => process.exit(0));
await once(lines, 'line');

const streams = 4;
const pick = (n: number): number => Math.floor(Math.random() * n);

function batchEvents(
  batch: string,
  size: number,
  from: number,
  count: number,
): NewEvent<string, WriterEventData>[] {
  return Array.from({ length: count }, (_, k) => ({
    id: `${batch}.${from + k}`,
    type: 'CrashTested',
    data: { batch, size, index: from + k, padding: 'x'.repeat(pick(2000)) },
  }));
}

function nextAppend(batch: string): StreamAppend[] {
  const first = `crash-${pick(streams)}`;
  if (Math.random() < 0.2) {
    const second = `crash-${(Number(first.slice(6)) + 1 + pick(streams - 1)) % streams}`;
    const [a, b] = [1 + pick(3), 1 + pick(3)];
    return [
      { streamId: first, events: batchEvents(batch, a + b, 0, a) },
      { streamId: second, events: batchEvents(batch, a + b, a, b) },
    ];
  }
  const size = Math.random() < 0.4 ? 1 : 2 + pick(5);
  return [{ streamId: first, events: batchEvents(batch, size, 0, size) }];
}

async function writeForever(worker: number): Promise<void> {
  for (let i = 0; ; i++) {
    const batch = `${input.run}.${worker}.${i}`;
    const appends = nextAppend(batch);
    const [only] = appends;
    const results: AppendResult[] =
      appends.length === 1 && only
        ? [await store.appendToStream(only.streamId, only.events)]
        : await store.appendToStreams(appends);
    const ack: WriterAck = {
      batch,
      parts: appends.map((a, p) => ({
        streamId: a.streamId,
        ids: a.events.map((e) => e.id ?? ''),
        result: results[p] as AppendResult,
      })),
    };
    process.stdout.write(`${JSON.stringify(ack)}\n`);
  }
}

await Promise.all(Array.from({ length: input.workers }, (_, w) => writeForever(w)));
