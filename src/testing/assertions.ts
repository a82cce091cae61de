import { expect } from 'vitest';
import type { ExpectedVersion, NewEvent, RecordedEvent } from '../events/event.js';
import type { EventStore } from '../store/event-store.js';

/** A failure as the suite inspects it: any error, with the fields Hindsight's errors carry. */
export type Failure = Error & { code?: unknown; streamId?: unknown; expected?: unknown; actual?: unknown };

/** Everything an iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** An event to append; `id` makes it recognisable after a read. */
export function event(
  id?: string,
  type = 'Tested',
  data: unknown = { id: id ?? null },
): NewEvent<string, unknown> {
  return id === undefined ? { type, data } : { id, type, data };
}

/** `count` events with ids `${prefix}-0`, `${prefix}-1`, ... */
export function events(prefix: string, count: number, type = 'Tested'): NewEvent<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => event(`${prefix}-${i}`, type));
}

/** The error `action` fails with; fails the case when it succeeds. Synchronous throws count as failures too. */
export async function failureOf(action: () => unknown): Promise<Failure> {
  let outcome: unknown;
  try {
    outcome = await action();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Failure;
  }
  return expect.fail(`expected a failure, but it succeeded with ${JSON.stringify(outcome)}`);
}

/** Asserts `action` fails with `code`, and with a message matching every pattern given. */
export async function expectCode(
  action: () => unknown,
  code: string,
  ...message: RegExp[]
): Promise<Failure> {
  const failure = await failureOf(action);
  expect(failure.code, `${failure.message}`).toBe(code);
  for (const pattern of message) expect(failure.message).toMatch(pattern);
  return failure;
}

/** Asserts `action` is refused with `WrongExpectedVersion` naming the stream, the expected and the actual version. */
export async function expectWrongVersion(
  action: () => unknown,
  streamId: string,
  expected: ExpectedVersion,
  actual: number,
): Promise<void> {
  const failure = await expectCode(action, 'WrongExpectedVersion');
  expect({ streamId: failure.streamId, expected: failure.expected, actual: failure.actual }).toEqual({
    streamId,
    expected,
    actual,
  });
}

/** The whole log as a reader sees it. */
export async function logOf(store: EventStore): Promise<{ head: number; events: RecordedEvent[] }> {
  return { head: await store.headPosition(), events: await collect(store.readAll()) };
}

/** Runs `attempt` (which asserts its own failure) and asserts the log is exactly as it was before. */
export async function expectNothingStored(store: EventStore, attempt: () => Promise<unknown>): Promise<void> {
  const before = await logOf(store);
  await attempt();
  expect(await logOf(store)).toEqual(before);
}

/** Asserts positions strictly increase and versions run 1..n within each stream. */
export function expectConsistentLog(log: readonly RecordedEvent[]): void {
  const versions = new Map<string, number>();
  let previous = 0;
  for (const e of log) {
    expect(e.position, `position after ${previous}`).toBeGreaterThan(previous);
    previous = e.position;
    const version = (versions.get(e.streamId) ?? 0) + 1;
    expect(e.streamVersion, `version of ${e.id} in ${e.streamId}`).toBe(version);
    versions.set(e.streamId, version);
  }
}

export const ids = (list: readonly { id?: string }[]): (string | undefined)[] => list.map((e) => e.id);
export const versions = (list: readonly RecordedEvent[]): number[] => list.map((e) => e.streamVersion);
export const positions = (list: readonly RecordedEvent[]): number[] => list.map((e) => e.position);
