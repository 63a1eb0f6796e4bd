/**
 * Server-sent events of a run's metric events (docs/api.md#server-sent-events-run-metrics).
 * Each stream replays the stored events after `after`, then writes new ones when the store says a run got
 * events (store.watchEvents: at once for this process; PostgreSQL LISTEN/NOTIFY for other replicas; SQLite's
 * change counter for other processes) — no stream polls the store. Messages are `id: <seq>` + `data: <json>`;
 * a `: ping` comment every 15 s keeps proxies and idle timeouts from closing a quiet stream.
 * The hub caps streams per account and in total (a 429 before the stream starts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FeedbackStore, MetricEvent } from '../store/types.js';
import { HttpError } from './errors.js';

export interface SseLimits {
  /** streams one account may hold open at once (default 8: a few dashboards) */
  perAccount: number;
  /** streams open at once on this server (default 500) */
  total: number;
  /** a safety net: every stream looks at the store this often even without a notification, ms (default 5000) */
  recheckMs: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = { perAccount: 8, total: 500, recheckMs: 5000 };

const PING_MS = 15_000;
const PAGE = 500;

export function formatEvent(e: MetricEvent): string {
  return `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;
}

interface Stream {
  runId: string;
  account: string;
  /** look at the store (coalesced: at most one look in flight, one more queued) */
  wake(): void;
  ping(): void;
  end(): void;
}

export class SseHub {
  private readonly streams = new Set<Stream>();
  private readonly perAccount = new Map<string, number>();
  private unwatch: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: FeedbackStore,
    private readonly limits: SseLimits = DEFAULT_SSE_LIMITS,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /** Refuses (429) a stream over the caps; call before anything is written. */
  admit(account: string): void {
    if (this.streams.size >= this.limits.total) {
      throw new HttpError(429, 'E_REQUEST', `this server has ${this.limits.total} event streams open, its limit; try again later`);
    }
    if ((this.perAccount.get(account) ?? 0) >= this.limits.perAccount) {
      throw new HttpError(429, 'E_REQUEST', `${account} has ${this.limits.perAccount} event streams open, the limit per account; close one (another tab?) first`);
    }
  }

  /** Takes over the response and streams events until the client goes away or the hub closes. */
  open(runId: string, account: string, after: number, req: FastifyRequest, reply: FastifyReply): void {
    this.admit(account);
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
    let busy = false;
    let again = false;
    let lastWrite = Date.now();
    const store = this.store;

    const pump = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
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
        } while (again && open);
      } catch (e) {
        req.log.error({ err: e }, 'SSE read failed');
        stream.end();
      } finally {
        busy = false;
      }
    };

    const stream: Stream = {
      runId,
      account,
      wake: () => void pump(),
      ping: () => {
        if (open && Date.now() - lastWrite >= PING_MS) {
          res.write(': ping\n\n');
          lastWrite = Date.now();
        }
      },
      end: () => {
        if (!open) return;
        open = false;
        this.streams.delete(stream);
        const n = (this.perAccount.get(account) ?? 1) - 1;
        if (n > 0) this.perAccount.set(account, n);
        else this.perAccount.delete(account);
        if (this.streams.size === 0) this.stopWatching();
        res.end();
      },
    };
    this.streams.add(stream);
    this.perAccount.set(account, (this.perAccount.get(account) ?? 0) + 1);
    this.startWatching();
    req.raw.on('close', stream.end);
    res.on('error', stream.end);
    stream.wake();
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const s of [...this.streams]) s.end();
    this.stopWatching();
  }

  private startWatching(): void {
    if (this.unwatch) return;
    this.unwatch = this.store.watchEvents((runId) => {
      for (const s of this.streams) if (runId === undefined || s.runId === runId) s.wake();
    });
    const ping = setInterval(() => this.streams.forEach((s) => s.ping()), 1000);
    const recheck = setInterval(() => this.streams.forEach((s) => s.wake()), this.limits.recheckMs);
    ping.unref();
    recheck.unref();
    this.timers = [ping, recheck];
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
