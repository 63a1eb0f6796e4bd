/**
 * Server-sent events of a run's metric events (docs/api.md#server-sent-events-run-metrics).
 * Each stream replays the stored events after `after`, then polls the store (so events appended by any process
 * sharing the store arrive) and writes `id: <seq>` + `data: <json>` messages; a `: ping` comment every 15 s.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FeedbackStore, MetricEvent } from '../store/types.js';

export interface SseStream {
  end(): void;
}

export interface SseHub {
  streams: Set<SseStream>;
  pollMs: number;
}

const PING_MS = 15_000;
const PAGE = 500;

export function formatEvent(e: MetricEvent): string {
  return `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** Takes over the response and streams events until the client goes away or the server closes. */
export function streamEvents(hub: SseHub, store: FeedbackStore, runId: string, after: number, req: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  let last = after;
  let open = true;
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = Date.now();
  const stream: SseStream = { end: stop };
  hub.streams.add(stream);

  function stop(): void {
    if (!open) return;
    open = false;
    if (timer) clearTimeout(timer);
    hub.streams.delete(stream);
    res.end();
  }

  async function poll(): Promise<void> {
    timer = undefined;
    if (!open) return;
    try {
      let page: MetricEvent[];
      do {
        page = await store.listEvents(runId, { after: last, limit: PAGE });
        if (!open) return;
        for (const e of page) {
          res.write(formatEvent(e));
          last = e.seq;
        }
        if (page.length > 0) lastWrite = Date.now();
      } while (page.length === PAGE);
      if (Date.now() - lastWrite >= PING_MS) {
        res.write(': ping\n\n');
        lastWrite = Date.now();
      }
    } catch (e) {
      req.log.error({ err: e }, 'SSE poll failed');
      stop();
      return;
    }
    if (open) timer = setTimeout(() => void poll(), hub.pollMs);
  }

  req.raw.on('close', stop);
  res.on('error', stop);
  void poll();
}
