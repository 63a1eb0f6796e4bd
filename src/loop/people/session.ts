/**
 * The labeling session of a run with people in the loop: opens the feedback store (--db, or the run directory),
 * starts the labeling server in-process (or attaches to `rlhf serve` on a busy --port), creates the run and an
 * annotator token, prints where to log in, and publishes each iteration's metrics and figures to the dashboard.
 * `peopleInTheLoop` makes the driver's PeopleHooks (src/loop/driver.ts) from the --judge setup.
 */
import { basename } from 'node:path';
import { ensureRun, emitMetrics } from '../../store/loopBridge.js';
import { generateToken, hashToken } from '../../store/tokens.js';
import type { FeedbackStore, JsonObject, RunStatus } from '../../store/types.js';
import type { FigureEvent, Gatherer, IterationEvent, Label, Metrics, PeopleHooks, QueryMaker } from '../parts.js';
import { ConfigError } from '../../core/errors.js';
import { HumanGatherer, teacherJudgeName, type HumanJudgeConfig } from './gatherer.js';

// ------------------------------------------------------------------------------------------------------------
// the session: store + server + tokens, for `rlhf run <domain> --judge human|mixed`

export interface HumanSessionOptions {
  /** a SQLite path (a directory means <dir>/feedback.sqlite) or a postgres:// URL */
  db: string;
  runId: string;
  domain: string;
  config?: JsonObject;
  /**
   * port of the labeling server (0 = any free port); when it is in use, the loop attaches to the server there —
   * only after its /api/health says it is an rlhfkit server of the same store (else a ConfigError on --port)
   */
  port?: number;
  /** false: a port in use is an error (EADDRINUSE) instead of a server to attach to (default true) */
  attachIfBusy?: boolean;
  host?: string;
  /** the annotator created (or given a new token) for the person at the keyboard; default "labeler" */
  annotator?: string;
  /** where the built web app is (default: the server's default, web/dist) */
  staticDir?: string;
  log?: (line: string) => void;
}

export interface HumanSession {
  store: FeedbackStore;
  runId: string;
  /** the app's URL (the in-process server's, or the attached one's) */
  url: string;
  /** printed once: only when this store was created now */
  adminToken: string | undefined;
  annotator: string;
  annotatorToken: string;
  /** true when another process serves the store on the port */
  attached: boolean;
  /** appends an event (type "metrics" or a figure type) for the dashboard */
  emit(type: string, iteration: number | null, data: JsonObject): Promise<void>;
  /** marks the run done/failed and stops the in-process server */
  close(status?: Extract<RunStatus, 'done' | 'failed'>): Promise<void>;
}

/** Replaces non-finite numbers by null (JSON has no NaN). */
function jsonSafe(data: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return out;
}

/**
 * Opens the store, starts the labeling server in-process (or attaches to one already serving the port), creates the
 * run and an annotator token, and prints where to log in.
 */
export async function startHumanSession(o: HumanSessionOptions): Promise<HumanSession> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { openStore } = await import('../../store/index.js');
  const { createServer, SERVICE_NAME } = await import('../../server/app.js');
  const store = await openStore(o.db);
  let server: Awaited<ReturnType<typeof createServer>> | undefined;
  let url: string;
  let attached = false;
  try {
    try {
      server = await createServer({ store, port: o.port ?? 0, ...(o.host ? { host: o.host } : {}), ...(o.staticDir ? { staticDir: o.staticDir } : {}) });
      url = server.url;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || o.attachIfBusy === false) throw e;
      url = `http://${o.host ?? '127.0.0.1'}:${o.port}`;
      // never hand out a token link to whatever happens to listen there
      await checkServesStore(url, o.port ?? 0, store, SERVICE_NAME);
      attached = true;
      log(`port ${o.port} is in use by an rlhfkit server of this store (${store.location}): labeling goes through it`);
    }
    await ensureRun(store, { id: o.runId, domain: o.domain, config: o.config ?? {}, status: 'running' });
    const annotator = o.annotator ?? 'labeler';
    const annotatorToken = generateToken();
    if (await store.getAnnotator(annotator)) await store.setAnnotatorToken(annotator, hashToken(annotatorToken));
    else await store.createAnnotator({ name: annotator, role: 'annotator', tokenHash: hashToken(annotatorToken) });
    const base = url.replace(/\/+$/, '');
    const adminToken = server?.adminToken;
    log('');
    log(`labeling app: ${base}/`);
    log(`  label as "${annotator}":  ${base}/label/${encodeURIComponent(o.runId)}#token=${annotatorToken}`);
    if (adminToken) log(`  admin token (shown once): ${adminToken}\n  dashboard:  ${base}/dashboard/${encodeURIComponent(o.runId)}#token=${adminToken}`);
    else log(`  admin: use the admin token printed when this store was created (or \`rlhf serve --db … --new-admin-token\`)`);
    log(`  store: ${store.backend} ${store.location}`);
    log('');
    let closed = false;
    return {
      store,
      runId: o.runId,
      url: base,
      adminToken,
      annotator,
      annotatorToken,
      attached,
      async emit(type, iteration, data) {
        if (type === 'metrics') await emitMetrics(store, o.runId, iteration, jsonSafe(data));
        else await store.appendEvent(o.runId, { type, iteration, data: jsonSafe(data) });
      },
      async close(status = 'done') {
        if (closed) return;
        closed = true;
        try {
          await store.updateRun(o.runId, { status });
        } finally {
          await server?.close();
          await store.close();
        }
      },
    };
  } catch (e) {
    await server?.close();
    await store.close();
    throw e;
  }
}

/**
 * Throws a ConfigError on --port unless the server at `url` answers /api/health as an rlhfkit server whose store
 * has the same id as `store`.
 */
async function checkServesStore(url: string, port: number, store: FeedbackStore, service: string): Promise<void> {
  const health = (await getJson(`${url}/api/health`, 3000)) as { service?: unknown; storeId?: unknown } | undefined;
  if (health?.service !== service || typeof health.storeId !== 'string') {
    throw new ConfigError('port', `port ${port} is in use by something that is not an rlhfkit server: pick another --port (0 = any free port) or stop what listens there`);
  }
  if (health.storeId !== (await store.storeId())) {
    throw new ConfigError(
      'port',
      `port ${port} is served by an rlhfkit server of another store: serve this run's store there (\`rlhf serve --db ${store.location}\`) or pick another --port`,
    );
  }
}

/** GET → parsed JSON (any status), or undefined on no answer / not JSON within `ms`; its connection is not kept. */
async function getJson(url: string, ms: number): Promise<unknown> {
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (body.length > 65_536) req.destroy();
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
    req.end();
  });
}

// ------------------------------------------------------------------------------------------------------------
/** The --judge human|mixed setup of a run (src/loop/people/flags.ts reads it from the command line). */
export interface HumanJudgeSetup {
  config: HumanJudgeConfig;
  /** --db, when given */
  db?: string;
  port: number;
  /** true when --port was given (a busy default port falls back to any free one) */
  portGiven: boolean;
  host?: string;
  annotator: string;
  /** the built web app to serve (default: the server's, web/dist); not a flag, for tests and embedders */
  staticDir?: string;
}

/**
 * startHumanSession for a run's --judge human|mixed setup: the store is --db or the run directory `out`. A busy
 * --port is a server to attach to (docs/labeling.md); a busy default port (no --port) falls back to any free port.
 */
export async function openHumanSession(h: HumanJudgeSetup, o: { out: string; runId: string; domain: string; config: JsonObject; log: (line: string) => void }): Promise<HumanSession> {
  const base = { runId: o.runId, domain: o.domain, config: o.config, annotator: h.annotator, log: o.log, db: h.db ?? o.out, ...(h.host ? { host: h.host } : {}), ...(h.staticDir ? { staticDir: h.staticDir } : {}) };
  try {
    // --port given: a server already there is `rlhf serve` for this store, attach to it; the default port: try it
    return await startHumanSession({ ...base, port: h.port, attachIfBusy: h.portGiven });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || h.portGiven) throw e;
    o.log(`port ${h.port} is in use; using any free port`);
    return startHumanSession({ ...base, port: 0 });
  }
}

/** A run id from a run directory's name (characters outside [A-Za-z0-9_.-] become "-"). */
export function runIdFromDir(dir: string): string {
  const id = basename(dir).replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80);
  return id.length > 0 ? id : 'run';
}


// ------------------------------------------------------------------------------------------------------------
// the driver's hooks

/**
 * People in the loop for one run: the driver's PeopleHooks. The session (store, server, tokens) opens at the first
 * gather, after the run directory exists; every iteration's metrics (with the gatherer's feedback/* counts) and the
 * run's figures go to the dashboard; the run is marked done or failed at the end.
 */
export function peopleInTheLoop(h: HumanJudgeSetup, o: { domain: string; config: JsonObject; log?: (line: string) => void }): (out: string | undefined) => PeopleHooks {
  return (out) => {
    const dir = out ?? h.db;
    if (dir === undefined) throw new ConfigError('judge', `--judge ${h.config.mode} needs a run directory (--out) or a store (--db)`);
    const runId = runIdFromDir(out ?? `${o.domain}-run`);
    const log = o.log ?? ((line: string) => console.error(line));
    let session: Promise<HumanSession> | undefined;
    const gatherers: Array<{ metrics(): Metrics }> = [];
    return {
      mode: h.config.mode,
      judge<B, L = Label>(teacher: Gatherer<B, L>, maker: QueryMaker<B, L>): Gatherer<B, L> {
        let inner: HumanGatherer<B, L> | undefined;
        return {
          name: h.config.mode === 'simulated' ? teacherJudgeName(teacher.name) : h.config.mode,
          async gather(batch, iteration) {
            session ??= openHumanSession(h, { out: dir, runId, domain: o.domain, config: o.config, log });
            const s = await session;
            if (!inner) {
              inner = new HumanGatherer<B, L>({ store: s.store, runId, maker, config: h.config, teacher, log });
              gatherers.push(inner);
            }
            return inner.gather(batch, iteration);
          },
        };
      },
      async publish(event: IterationEvent, figures: FigureEvent[]) {
        if (!session) return;
        const s = await session;
        const counts = Object.assign({}, ...gatherers.map((g) => g.metrics())) as JsonObject;
        await s.emit('metrics', event.iteration, { ...event.metrics, ...counts });
        for (const f of figures) await s.emit(f.type, event.iteration, f.data);
      },
      async close(ok: boolean) {
        if (!session) return;
        const s = await session.catch(() => undefined);
        await s?.close(ok ? 'done' : 'failed');
      },
    };
  };
}
