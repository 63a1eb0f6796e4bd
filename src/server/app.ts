/**
 * The labeling server: a Fastify app over a FeedbackStore. Routes, auth and bodies are specified in docs/api.md.
 *   createServer({ store, port }) → { app, url, adminToken, close }
 * Auth runs first (onRequest, before the body is even parsed), then JSON-schema validation, then the handler.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { ConfigError, RlhfError } from '../core/errors.js';
import type { Judgement } from '../feedback/types.js';
import { computeAgreement } from '../store/agreement.js';
import { generateToken, hashToken, TOKEN_PATTERN } from '../store/tokens.js';
import type { Annotator, FeedbackStore, QueryState, Role, RunStatus } from '../store/types.js';
import { OPEN_RUN_STATUSES } from '../store/types.js';
import { exportLines } from '../feedback/jsonl.js';
import { HttpError, errorResponse } from './errors.js';
import * as S from './schemas.js';
import { streamEvents, type SseHub } from './sse.js';

export interface ServerOptions {
  store: FeedbackStore;
  /** default 127.0.0.1 (loopback only) */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
  /** built front end to serve; default web/dist of this package when it exists; false: none */
  staticDir?: string | false;
  /** Fastify logger options (default off) */
  logger?: FastifyServerOptions['logger'];
  /** make this the token of the admin "admin" (created if missing); for scripts and tests */
  adminToken?: string;
  /** issue a new token for the admin "admin" (the old one stops working) */
  newAdminToken?: boolean;
  /** lease length when the client does not ask (default 120 s) */
  defaultLeaseSeconds?: number;
  /** how often SSE streams look for new events (default 250 ms) */
  ssePollMs?: number;
}

export interface Server {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:5173 */
  url: string;
  /** the admin token when it was created or replaced at this start (print it); undefined otherwise */
  adminToken: string | undefined;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call the route: nobody needs a token, any valid token, or an admin token */
    auth?: 'none' | 'any' | 'admin';
    /** accept ?token= (for EventSource) */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    annotator: Annotator | undefined;
  }
}

export const ADMIN_NAME = 'admin';
const DEFAULT_BODY_LIMIT = 64 * 1024;
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** `token=…` in a URL → `token=***` */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1***');
}

/** paths that name a static asset: a miss is a 404, not the app */
const ASSET_EXTENSION = /\.(m?js|css|html?|json|map|png|jpe?g|gif|svg|ico|txt|webp|woff2?|ttf|wasm|xml|env|config)$/i;
const QUERIES_BODY_LIMIT = 16 * 1024 * 1024;

function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, '../../package.json'), resolve(here, '../../../package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rlhfkit' && pkg.version) return pkg.version;
    } catch {
      /* next */
    }
  }
  return '0.0.0';
}

/** web/dist of this package, if built. */
export function defaultStaticDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, '../../web/dist'), resolve(here, '../../../web/dist')]) {
    if (existsSync(join(p, 'index.html'))) return p;
  }
  return undefined;
}

/** Makes sure an admin exists; returns a token to print when one was created or replaced. */
async function ensureAdmin(store: FeedbackStore, opts: ServerOptions): Promise<string | undefined> {
  if (opts.adminToken !== undefined) {
    if (!TOKEN_PATTERN.test(opts.adminToken)) throw new ConfigError('adminToken', `an admin token must match ${TOKEN_PATTERN.source}`);
    const existing = await store.getAnnotator(ADMIN_NAME);
    if (!existing) await store.createAnnotator({ name: ADMIN_NAME, role: 'admin', tokenHash: hashToken(opts.adminToken) });
    else await store.setAnnotatorToken(ADMIN_NAME, hashToken(opts.adminToken));
    return opts.adminToken;
  }
  const admins = (await store.listAnnotators()).filter((a) => a.role === 'admin');
  if (admins.length > 0 && !opts.newAdminToken) return undefined;
  const token = generateToken();
  if (await store.getAnnotator(ADMIN_NAME)) {
    await store.setAnnotatorToken(ADMIN_NAME, hashToken(token));
    return token;
  }
  try {
    await store.createAnnotator({ name: ADMIN_NAME, role: 'admin', tokenHash: hashToken(token) });
  } catch (e) {
    // another replica created it at the same moment: it printed its token
    if (e instanceof RlhfError && e.code === 'E_CONFLICT') return undefined;
    throw e;
  }
  return token;
}

function intParam(v: string | undefined, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  return Math.min(Number(v), max);
}

function runId(domain: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `${domain}-${stamp}-${generateToken().slice(5, 9).toLowerCase().replace(/[^a-z0-9]/g, '0')}`;
}

function plainQuery(q: QueryState) {
  const { status: _s, wanted: _w, judged: _j, leasedTo: _l, leaseExpiresAt: _e, ...plain } = q;
  return plain;
}

/** Builds the app, makes sure an admin exists, and listens. */
export async function createServer(opts: ServerOptions): Promise<Server> {
  const { store } = opts;
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port', `port must be an integer in 0..65535, got ${port}`);
  const defaultLeaseMs = (opts.defaultLeaseSeconds ?? 120) * 1000;
  const staticDir = opts.staticDir === false ? undefined : (opts.staticDir ?? defaultStaticDir());
  if (staticDir !== undefined && !(existsSync(staticDir) && statSync(staticDir).isDirectory())) {
    throw new ConfigError('staticDir', `static directory ${staticDir} does not exist`);
  }
  const version = packageVersion();

  const adminToken = await ensureAdmin(store, opts);

  const app = Fastify({
    // request logs never show a token (EventSource sends it in the query string)
    logger: opts.logger === true ? { serializers: { req: (r: { method: string; url: string }) => ({ method: r.method, url: redactToken(r.url) }) } } : (opts.logger ?? false),
    bodyLimit: DEFAULT_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 256 },
    // router-level failures (an over-long or badly encoded path) get the same error body as everything else
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = errorResponse(err);
      void (reply as unknown as FastifyReply).code(status >= 500 ? 400 : status).send(body);
    },
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, discriminator: true } },
  });
  app.decorateRequest('annotator', undefined);
  // JSON only: a text/plain body is 415 like any other non-JSON type
  app.removeContentTypeParser('text/plain');

  // ---- errors: one body shape for everything ----
  app.setErrorHandler((err, req, reply) => {
    const { status, body, internal } = errorResponse(err);
    if (internal) req.log.error({ err }, 'request failed');
    void reply.code(status).send(body);
  });

  // ---- auth, before parsing ----
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(SECURITY_HEADERS);
    const cfg = req.routeOptions.config;
    const mode = cfg.auth ?? (req.url.startsWith('/api') ? 'admin' : 'none');
    if (mode === 'none') return;
    let token: string | undefined;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer ([^\s]+)$/.exec(header);
      if (!m) throw new HttpError(401, 'E_AUTH', 'the Authorization header must be "Bearer <token>"', 'token');
      token = m[1];
    } else if (cfg.queryToken) {
      const q = req.query as { token?: unknown };
      if (typeof q.token === 'string') token = q.token;
    }
    if (token === undefined) throw new HttpError(401, 'E_AUTH', 'missing token: send "Authorization: Bearer <token>"', 'token');
    if (!TOKEN_PATTERN.test(token)) throw new HttpError(401, 'E_AUTH', 'malformed token', 'token');
    const who = await store.findAnnotatorByTokenHash(hashToken(token));
    if (!who) throw new HttpError(401, 'E_AUTH', 'unknown token (it may have been replaced)', 'token');
    if (mode === 'admin' && who.role !== 'admin') throw new HttpError(403, 'E_AUTH', 'this route needs an admin token');
    req.annotator = who;
  });

  const me = (req: FastifyRequest): Annotator => {
    if (!req.annotator) throw new HttpError(401, 'E_AUTH', 'missing token', 'token');
    return req.annotator;
  };
  const requireRun = async (id: string) => {
    const run = await store.getRun(id);
    if (!run) throw new HttpError(404, 'E_NOT_FOUND', `run "${id}" does not exist`, 'params.runId');
    return run;
  };
  const any = { auth: 'any' as const };
  const admin = { auth: 'admin' as const };

  // ---- public ----
  app.get('/api/health', { config: { auth: 'none' }, schema: { querystring: S.emptyQuery } }, async () => ({
    ok: true,
    store: store.backend,
    version,
  }));

  // ---- any token ----
  app.get('/api/me', { config: any, schema: { querystring: S.emptyQuery } }, async (req) => ({ annotator: me(req) }));

  app.get('/api/me/runs', { config: any, schema: { querystring: S.emptyQuery } }, async (req) => {
    const who = me(req);
    const runs = (await store.listRuns()).filter((r) => OPEN_RUN_STATUSES.includes(r.status));
    return {
      runs: await Promise.all(
        runs.map(async (r) => ({
          id: r.id,
          domain: r.domain,
          status: r.status,
          queue: await store.queueLength(r.id, who.name),
          labels: await store.countJudgements(r.id, { annotator: who.name }),
        })),
      ),
    };
  });

  app.get<{ Querystring: { runId: string } }>('/api/me/progress', { config: any, schema: { querystring: S.progressQuery } }, async (req) => {
    const who = me(req);
    const { runId } = req.query;
    await requireRun(runId);
    const [labels, labelsAllRuns, queue, leased] = await Promise.all([
      store.countJudgements(runId, { annotator: who.name }),
      store.countJudgements(undefined, { annotator: who.name }),
      store.queueLength(runId, who.name),
      store.activeLeases(runId, who.name),
    ]);
    return { runId, labels, labelsAllRuns, queue, leased };
  });

  app.get<{ Querystring: { runId: string; limit?: string; offset?: string } }>(
    '/api/me/judgements',
    { config: any, schema: { querystring: S.myJudgementsQuery } },
    async (req) => {
      const who = me(req);
      await requireRun(req.query.runId);
      const judgements = await store.listJudgements(req.query.runId, {
        annotator: who.name,
        order: 'desc',
        limit: intParam(req.query.limit, 100, 1000),
        offset: intParam(req.query.offset, 0),
      });
      return { judgements };
    },
  );

  // ---- labeling ----
  app.post<{ Params: { runId: string }; Body: { leaseSeconds?: number } | undefined }>(
    '/api/runs/:runId/lease',
    {
      config: any,
      schema: { params: S.runParams, body: S.leaseBody },
      // the body is optional: a POST without one means {}
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req) => {
      const who = me(req);
      const run = await requireRun(req.params.runId);
      if (!OPEN_RUN_STATUSES.includes(run.status)) throw new HttpError(409, 'E_CONFLICT', `run "${run.id}" is ${run.status}: nothing to label`);
      const leaseMs = req.body?.leaseSeconds !== undefined ? req.body.leaseSeconds * 1000 : defaultLeaseMs;
      const lease = await store.leaseQuery(run.id, who.name, leaseMs);
      if (!lease) return { query: null, retryAfterMs: 1000 };
      return { query: lease.query, leaseExpiresAt: lease.expiresAt };
    },
  );

  app.post<{ Params: { queryId: string }; Body: { judgement: Judgement; next?: boolean; leaseSeconds?: number } }>(
    '/api/queries/:queryId/judgement',
    { config: any, schema: { params: S.queryParams, body: S.judgementBody } },
    async (req, reply) => {
      const who = me(req);
      let r: Awaited<ReturnType<FeedbackStore['addJudgement']>>;
      try {
        r = await store.addJudgement({ queryId: req.params.queryId, annotator: who.name, judgement: req.body.judgement }, { requireLease: true });
      } catch (e) {
        if (e instanceof RlhfError && e.code === 'E_NOT_FOUND') throw new HttpError(404, 'E_NOT_FOUND', e.message, 'params.queryId');
        throw e;
      }
      void reply.code(r.created ? 201 : 200);
      if (!req.body.next) return { judgement: r.record, created: r.created };
      // the next query of the same run in the same round trip (what the labeling page does after each key)
      const run = await store.getRun(r.record.runId);
      const leaseMs = req.body.leaseSeconds !== undefined ? req.body.leaseSeconds * 1000 : defaultLeaseMs;
      const lease = run && OPEN_RUN_STATUSES.includes(run.status) ? await store.leaseQuery(run.id, who.name, leaseMs) : undefined;
      const next = lease ? { query: lease.query, leaseExpiresAt: lease.expiresAt } : { query: null, retryAfterMs: 1000 };
      return { judgement: r.record, created: r.created, next };
    },
  );

  app.delete<{ Params: { queryId: string } }>(
    '/api/queries/:queryId/judgement',
    { config: any, schema: { params: S.queryParams, querystring: S.emptyQuery } },
    async (req) => {
      const lease = await store.retractJudgement(req.params.queryId, me(req).name, defaultLeaseMs);
      return { query: lease.query, leaseExpiresAt: lease.expiresAt };
    },
  );

  app.delete<{ Params: { queryId: string } }>(
    '/api/queries/:queryId/lease',
    { config: any, schema: { params: S.queryParams, querystring: S.emptyQuery } },
    async (req) => {
      if (!(await store.releaseLease(req.params.queryId, me(req).name))) {
        throw new HttpError(409, 'E_CONFLICT', `you do not hold the lease of query "${req.params.queryId}"`, 'params.queryId');
      }
      return { released: true };
    },
  );

  // ---- admin: annotators ----
  app.post<{ Body: { name: string; role?: Role } }>('/api/annotators', { config: admin, schema: { body: S.createAnnotatorBody } }, async (req, reply) => {
    const token = generateToken();
    const annotator = await store.createAnnotator({ name: req.body.name, role: req.body.role ?? 'annotator', tokenHash: hashToken(token) });
    void reply.code(201);
    return { annotator, token };
  });

  app.get('/api/annotators', { config: admin, schema: { querystring: S.emptyQuery } }, async () => ({ annotators: await store.listAnnotators() }));

  app.post<{ Params: { name: string } }>('/api/annotators/:name/token', { config: admin, schema: { params: S.nameParams } }, async (req) => {
    const token = generateToken();
    const annotator = await store.setAnnotatorToken(req.params.name, hashToken(token));
    return { annotator, token };
  });

  // ---- admin: runs ----
  app.post<{ Body: { id?: string; domain: string; config?: Record<string, unknown>; status?: RunStatus } }>(
    '/api/runs',
    { config: admin, schema: { body: S.createRunBody } },
    async (req, reply) => {
      const b = req.body;
      const run = await store.createRun({ id: b.id ?? runId(b.domain), domain: b.domain, config: b.config ?? {}, status: b.status ?? 'created' });
      void reply.code(201);
      return { run };
    },
  );

  app.get('/api/runs', { config: admin, schema: { querystring: S.emptyQuery } }, async () => ({ runs: await store.listRuns() }));

  app.get<{ Params: { runId: string } }>('/api/runs/:runId', { config: admin, schema: { params: S.runParams, querystring: S.emptyQuery } }, async (req) => {
    const run = await requireRun(req.params.runId);
    return { run, stats: await store.runStats(run.id) };
  });

  app.patch<{ Params: { runId: string }; Body: { status?: RunStatus; config?: Record<string, unknown> } }>(
    '/api/runs/:runId',
    { config: admin, schema: { params: S.runParams, body: S.patchRunBody } },
    async (req) => {
      await requireRun(req.params.runId);
      return { run: await store.updateRun(req.params.runId, req.body) };
    },
  );

  app.get<{ Params: { runId: string } }>('/api/runs/:runId/stats', { config: admin, schema: { params: S.runParams, querystring: S.emptyQuery } }, async (req) => {
    await requireRun(req.params.runId);
    return store.runStats(req.params.runId);
  });

  app.get<{ Params: { runId: string }; Querystring: { iteration?: string } }>(
    '/api/runs/:runId/agreement',
    { config: admin, schema: { params: S.runParams, querystring: S.agreementQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const iteration = req.query.iteration !== undefined ? Number(req.query.iteration) : undefined;
      const records = await store.listJudgements(req.params.runId, { limit: 1_000_000, ...(iteration !== undefined ? { iteration } : {}) });
      return computeAgreement(req.params.runId, records, iteration ?? null);
    },
  );

  app.post<{ Params: { runId: string }; Body: { queries: Record<string, unknown>[]; redundancy?: number } }>(
    '/api/runs/:runId/queries',
    { config: admin, bodyLimit: QUERIES_BODY_LIMIT, schema: { params: S.runParams, body: S.addQueriesBody } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const queries = req.body.queries.map((q) => ({ ...q, runId: q.runId ?? req.params.runId }));
      const added = await store.addQueries(req.params.runId, queries as never, { redundancy: req.body.redundancy ?? 1 });
      void reply.code(201);
      return { added };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { status?: 'pending' | 'leased' | 'done'; iteration?: string; limit?: string; offset?: string } }>(
    '/api/runs/:runId/queries',
    { config: admin, schema: { params: S.runParams, querystring: S.listQueriesQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const q = req.query;
      const queries = await store.listQueries(req.params.runId, {
        limit: intParam(q.limit, 100, 1000),
        offset: intParam(q.offset, 0),
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.iteration !== undefined ? { iteration: Number(q.iteration) } : {}),
      });
      return { queries };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { iteration?: string; annotator?: string; limit?: string; offset?: string } }>(
    '/api/runs/:runId/judgements',
    { config: admin, schema: { params: S.runParams, querystring: S.listJudgementsQuery } },
    async (req) => {
      await requireRun(req.params.runId);
      const q = req.query;
      const judgements = await store.listJudgements(req.params.runId, {
        limit: intParam(q.limit, 1000, 10000),
        offset: intParam(q.offset, 0),
        ...(q.iteration !== undefined ? { iteration: Number(q.iteration) } : {}),
        ...(q.annotator !== undefined ? { annotator: q.annotator } : {}),
      });
      return { judgements };
    },
  );

  app.post<{ Params: { runId: string }; Body: { type: string; iteration?: number | null; data: Record<string, unknown> } }>(
    '/api/runs/:runId/events',
    { config: admin, schema: { params: S.runParams, body: S.eventBody } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const event = await store.appendEvent(req.params.runId, { type: req.body.type, iteration: req.body.iteration ?? null, data: req.body.data });
      void reply.code(201);
      return { event };
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/api/runs/:runId/export',
    { config: admin, schema: { params: S.runParams, querystring: S.emptyQuery } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const lines: string[] = [];
      for await (const l of exportLines(store, req.params.runId)) lines.push(l);
      void reply.header('content-type', 'application/x-ndjson; charset=utf-8');
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    },
  );

  // ---- SSE ----
  const hub: SseHub = { streams: new Set(), pollMs: opts.ssePollMs ?? 250 };
  app.get<{ Params: { runId: string }; Querystring: { token?: string; after?: string } }>(
    '/api/runs/:runId/events',
    { config: { auth: 'any', queryToken: true }, schema: { params: S.runParams, querystring: S.eventsQuery } },
    async (req, reply) => {
      await requireRun(req.params.runId);
      const lastId = req.headers['last-event-id'];
      const fromHeader = typeof lastId === 'string' && /^[0-9]{1,15}$/.test(lastId) ? Number(lastId) : undefined;
      const after = fromHeader ?? (req.query.after !== undefined ? Number(req.query.after) : 0);
      streamEvents(hub, store, req.params.runId, after, req, reply);
      return reply;
    },
  );

  // ---- static front end ----
  if (staticDir !== undefined) {
    await app.register(fastifyStatic, { root: staticDir, prefix: '/', wildcard: true, index: ['index.html'], dotfiles: 'deny', serveDotFiles: false } as never);
  } else {
    app.get('/', { config: { auth: 'none' } }, async (_req, reply) => {
      void reply.type('text/html; charset=utf-8');
      return '<!doctype html><title>rlhfkit</title><h1>rlhfkit labeling server</h1><p>The web app is not built: run <code>npm run build:web</code> and restart. The API is at <code>/api</code> (see docs/api.md).</p>';
    });
  }

  app.setNotFoundHandler({}, async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    // only plain page paths (/label/gw-1, /dashboard/run.2): id characters, no segment starting with a dot,
    // no encodings, no empty segments, not a missing asset (a file extension)
    const looksLikePage =
      req.method === 'GET' &&
      !path.startsWith('/api') &&
      /^(\/[A-Za-z0-9_:-][A-Za-z0-9_.:-]*)*\/?$/.test(path) &&
      !path.includes('..') &&
      !ASSET_EXTENSION.test(path);
    if (staticDir !== undefined && looksLikePage) {
      // client-side routing: unknown page paths get the app
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return reply.code(404).send({ error: { code: 'E_NOT_FOUND', message: `no route ${req.method} ${path}` } });
  });

  const address = await app.listen({ host, port });
  const url = address.replace('[::1]', 'localhost');
  let closed = false;
  return {
    app,
    url,
    adminToken,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of hub.streams) s.end();
      await app.close();
    },
  };
}
