import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { subscribe } from '../subscriptions/subscribe.js';
import { eventJson } from './event-json.js';
import { problemOf, toProblem } from './problems.js';
import type { RouteModule } from './routes.js';
import { eventTypes, position, streamPrefix } from './schemas.js';

export interface LiveFeedOptions {
  /** How often to send a comment line so proxies and clients know the connection is alive; default 15 s. */
  heartbeatMs?: number;
  /** How often to look for appends made by other processes; default 250 ms. */
  pollIntervalMs?: number;
}

/**
 * `GET /events/live`: the log as server-sent events, each with `id` = its global position. A client that
 * reconnects with `Last-Event-ID` gets every event after it (catch-up from the log, then live), so nothing is
 * missed; appends only wake the feed early.
 *
 * @example
 * const feeds = new Set<AbortController>();
 * const module = liveFeedRoutes({ heartbeatMs: 15_000 }, feeds); // abort them all to close the server
 */
export function liveFeedRoutes(options: LiveFeedOptions, feeds: Set<AbortController>): RouteModule {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  return (routes, { store }) => {
    routes.streaming({
      method: 'GET',
      path: '/events/live',
      summary: 'Follows the log as server-sent events (id = global position), resumable with Last-Event-ID',
      description:
        'Without Last-Event-ID or from, only events appended after the connection opens. Comments (lines ' +
        'starting with ":") are heartbeats. Each event is one `data:` line holding the event as JSON.',
      query: z.object({
        from: position(
          'The first position to send (inclusive); default: what is appended from now on',
        ).optional(),
        streamPrefix,
        type: eventTypes,
      }),
      headers: { 'Last-Event-ID': 'The last position received: resume right after it (wins over from)' },
      responses: { 200: { description: 'An endless stream of events', contentType: 'text/event-stream' } },
      handler: async ({ query, headers }, request, reply) => {
        const after = await startingPoint(headers['last-event-id'], query.from, () => store.headPosition());
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        const controller = new AbortController();
        const signal = controller.signal;
        feeds.add(controller);
        const stop = () => controller.abort();
        res.on('close', stop);
        const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
        res.write(`retry: 2000\n: following the log after position ${after}\n\n`);
        try {
          const subscription = subscribe(store, {
            after,
            streamPrefix: query.streamPrefix,
            types: query.type,
            pollIntervalMs: options.pollIntervalMs,
            signal,
          });
          for await (const batch of subscription) {
            for (const event of batch.events) {
              if (signal.aborted) return;
              const frame = `id: ${event.position}\ndata: ${JSON.stringify(eventJson(event))}\n\n`;
              if (!res.write(frame)) await drained(res, signal);
            }
          }
        } catch (error) {
          if (!signal.aborted) {
            request.log.error({ err: error }, 'live feed failed');
            res.write(`event: error\ndata: ${JSON.stringify(toProblem(error))}\n\n`);
          }
        } finally {
          clearInterval(heartbeat);
          res.off('close', stop);
          feeds.delete(controller);
          res.end();
        }
      },
    });
  };
}

async function startingPoint(
  lastEventId: string | string[] | undefined,
  from: number | undefined,
  head: () => Promise<number>,
): Promise<number> {
  if (lastEventId !== undefined) {
    const value = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
    const parsed = position('').safeParse(value?.trim());
    if (!parsed.success) {
      throw problemOf(
        'InvalidInput',
        'Last-Event-ID must be the position of an event (a non-negative integer)',
        {
          field: 'Last-Event-ID',
          in: 'header',
        },
      );
    }
    return parsed.data;
  }
  if (from !== undefined) return Math.max(0, from - 1);
  return head();
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
